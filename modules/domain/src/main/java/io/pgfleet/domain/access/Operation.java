package io.pgfleet.domain.access;

/**
 * Everything a caller can ask of the control plane, and the least role each needs. Operations on
 * one collector's own data are also open to that collector.
 */
public enum Operation {
    /** Read a collector's latest configuration. */
    READ_CONFIG(Role.VIEWER, true),
    /** Read history, old versions and diffs. */
    READ_HISTORY(Role.VIEWER, false),
    /** Dry-run validation. */
    VALIDATE_CONFIG(Role.VIEWER, false),
    /** Publish a configuration. */
    PUBLISH_CONFIG(Role.OPERATOR, false),
    /** Roll back to an earlier version. */
    ROLLBACK_CONFIG(Role.OPERATOR, false),
    /** Pre-provision a collector or issue its enrolment token. */
    PROVISION_COLLECTOR(Role.OPERATOR, false),
    /** See the fleet. */
    LIST_COLLECTORS(Role.VIEWER, false),
    /** Read stored samples. */
    READ_METRICS(Role.VIEWER, false),
    /** Report what configuration a collector applied: the collector itself only. */
    REPORT_STATUS(null, true),
    /** Push samples: the collector itself only. */
    PUSH_METRICS(null, true),
    /** Manage users and signing keys. */
    MANAGE_USERS(Role.ADMIN, false),
    /** Read the audit trail. */
    READ_AUDIT(Role.ADMIN, false);

    private final Role leastHumanRole;
    private final boolean openToTheCollectorItself;

    Operation(Role leastHumanRole, boolean openToTheCollectorItself) {
        this.leastHumanRole = leastHumanRole;
        this.openToTheCollectorItself = openToTheCollectorItself;
    }

    /**
     * The least human role that may perform it.
     *
     * @return the role, or empty when only the collector itself may
     */
    public java.util.Optional<Role> leastHumanRole() {
        return java.util.Optional.ofNullable(leastHumanRole);
    }

    /**
     * Whether a collector may perform it on itself.
     *
     * @return true for its own configuration, status and samples
     */
    public boolean openToTheCollectorItself() {
        return openToTheCollectorItself;
    }
}
