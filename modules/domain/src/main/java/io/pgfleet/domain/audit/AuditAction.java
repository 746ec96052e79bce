package io.pgfleet.domain.audit;

/**
 * What kind of write an audit entry records.
 */
public enum AuditAction {
    /** A collector was pre-provisioned or registered. */
    COLLECTOR_CREATED("collector.create"),
    /** A configuration version was published. */
    CONFIG_PUBLISHED("config.publish"),
    /** An earlier version was published again. */
    CONFIG_ROLLED_BACK("config.rollback"),
    /** An agent registered itself with the registration secret: a new collector. */
    COLLECTOR_REGISTERED("collector.register"),
    /**
     * An agent registered with an enrolment token and took an existing collector's identity: a
     * pre-provisioned collector's first agent, or a re-bind (detail says when a revocation was lifted).
     */
    COLLECTOR_ENROLLED("collector.enrol"),
    /** An enrolment token was issued for a pre-provisioned collector. */
    ENROLMENT_TOKEN_ISSUED("collector.enrolment_token"),
    /** A collector's access was revoked. */
    COLLECTOR_REVOKED("collector.revoke"),
    /** A user was created. */
    USER_CREATED("user.create"),
    /** A user was changed (role, password, disabled). */
    USER_UPDATED("user.update"),
    /** A new token signing key was made current. */
    SIGNING_KEY_ROTATED("auth.rotate_key"),
    /** A login was refused: unknown user, wrong password or disabled user (throttled attempts are not recorded). */
    LOGIN_FAILED("auth.login_failed"),
    /** A spent refresh token was presented again: it leaked, and its family was revoked. */
    REFRESH_TOKEN_REUSED("auth.refresh_reused"),
    /**
     * A login ended its user's oldest session: the user held as many open sessions as a user may
     * (sessions_per_user). The detail names the session ended.
     */
    SESSION_ENDED_FOR_LIMIT("auth.session_limit"),
    /**
     * A registration was retried with the idempotency key of one that succeeded (its answer was
     * lost): nothing was created; the collector received fresh tokens, the earlier answer's revoked.
     */
    REGISTRATION_REPLAYED("collector.register_replayed"),
    /** A registration was refused: wrong secret, or unknown, used or expired enrolment token. */
    REGISTRATION_REFUSED("collector.register_refused"),
    /** A version of the fleet layer or a group's layer was published (detail names the layer). */
    LAYER_PUBLISHED("layer.publish"),
    /** An earlier version of the fleet layer or a group's layer was published again. */
    LAYER_ROLLED_BACK("layer.rollback"),
    /** A group was created. */
    GROUP_CREATED("group.create"),
    /** A group's selector, priority or description changed. */
    GROUP_UPDATED("group.update"),
    /** A group was deleted. */
    GROUP_DELETED("group.delete"),
    /** An operator changed a collector's labels. */
    COLLECTOR_LABELS_CHANGED("collector.labels"),
    /** A collector was decommissioned. */
    COLLECTOR_DECOMMISSIONED("collector.decommission"),
    /** An operator started a rollout of a layer version. */
    ROLLOUT_STARTED("rollout.start"),
    /** A rollout's next wave started. */
    ROLLOUT_WAVE_STARTED("rollout.wave"),
    /** An operator paused a rollout. */
    ROLLOUT_PAUSED("rollout.pause"),
    /** An operator resumed a rollout. */
    ROLLOUT_RESUMED("rollout.resume"),
    /** A rollout completed (every wave passed, or an operator promoted it). */
    ROLLOUT_COMPLETED("rollout.complete"),
    /** A rollout rolled back (a wave failed, or an operator aborted it). */
    ROLLOUT_ROLLED_BACK("rollout.rollback"),
    /**
     * The first start on a database restored from a backup: the entries written after the backup
     * are gone from the trail, and this one says so (the detail names the backup's time when known,
     * and the newest entry the restored trail kept). Written once per restore.
     */
    SERVER_RESTORED("server.restored"),
    /**
     * Read back only, never written: a stored entry whose action this release does not know, written
     * by a server of a newer release beside it (a rolling upgrade). Listed as such, its stored name
     * kept in its detail ({@link #readStored}), so that one such row does not make the trail unreadable.
     */
    UNRECOGNISED("unrecognised");

    private final String label;

    AuditAction(String label) {
        this.label = label;
    }

    /**
     * The stored and displayed name.
     *
     * @return e.g. {@code config.publish}
     */
    public String label() {
        return label;
    }

    /**
     * Reads a stored name back.
     *
     * @param label the name
     * @return the action
     * @throws IllegalArgumentException for an unknown name
     */
    public static AuditAction parse(String label) {
        for (AuditAction a : values()) {
            if (a != UNRECOGNISED && a.label.equals(label)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown audit action '" + label + "'");
    }

    /**
     * Reads a stored entry's action and detail back, whatever release wrote it: an action this
     * release does not know is {@link #UNRECOGNISED}, and its detail says the name it was stored under.
     *
     * @param label  the stored name
     * @param detail the stored detail
     * @return the action and the detail to show
     */
    public static Stored readStored(String label, String detail) {
        for (AuditAction a : values()) {
            if (a != UNRECOGNISED && a.label.equals(label)) {
                return new Stored(a, detail);
            }
        }
        return new Stored(UNRECOGNISED, "recorded as '" + label + "' by a newer release" + (detail.isEmpty() ? "" : ": " + detail));
    }

    /**
     * A stored entry's action and detail as read back.
     *
     * @param action the action ({@link #UNRECOGNISED} for a name this release does not know)
     * @param detail the detail to show
     */
    public record Stored(AuditAction action, String detail) {
        /** Requires both. */
        public Stored {
            java.util.Objects.requireNonNull(action, "action");
            java.util.Objects.requireNonNull(detail, "detail");
        }
    }
}
