package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort;
import io.pgfleet.application.port.out.LoadSessionPort;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort.Saving;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Refresh and enrolment tokens, stored only as SHA-256 hashes.
 */
public final class TokenPersistenceAdapter implements RefreshTokenStorePort, EnrolmentTokenStorePort, LoadSessionPort {

    /** First key of the advisory locks of refresh-token families (the second is the family's hash). */
    private static final int FAMILY_LOCK = 0x70676672;
    /**
     * First key of the advisory locks of a subject's sessions (the second is the hash of its kind
     * and name): shared by each refresh, exclusive for a statement that revokes them all.
     */
    private static final int SUBJECT_LOCK = 0x70677373;

    private final DbClient db;

    TokenPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public List<EndedSession> startSession(String tokenHash, String familyId, Principal principal, Instant issuedAt,
                                           Instant expiresAt, SessionLimit limit,
                                           java.util.function.Function<EndedSession, AuditEntry> audit) {
        String kind = principal.role() == Role.COLLECTOR ? "collector" : "user";
        return Rows.guard("starting a session", () -> Rows.inTransaction(db, tx -> {
            // The lock a revocation of all the user's sessions takes: two logins of the user (on
            // any instances) count one after the other, each seeing the session the other began;
            // a refresh of a session ended here either committed before (its successor is revoked
            // below) or waits, then finds its token revoked.
            lockSessionsOf(tx, kind, principal.subject());
            insertRefreshToken(tx, tokenHash, familyId, principal, issuedAt, expiresAt);
            // Each open session has one token neither spent nor revoked (a rotation spends the one
            // it replaces; a retry revokes the successors it supersedes): the partial index of V41
            // holds just those. Oldest first by the session's first token.
            List<String> open = tx.query("""
                            SELECT family_id FROM (
                                SELECT DISTINCT family_id FROM refresh_tokens
                                WHERE subject_kind = ? AND subject = ? AND used_at IS NULL AND revoked_at IS NULL
                                  AND expires_at > ?) o
                            ORDER BY (SELECT min(issued_at) FROM refresh_tokens f WHERE f.family_id = o.family_id),
                                     family_id""",
                    kind, principal.subject(), Rows.timestamp(issuedAt)).map(r -> Rows.text(r, "family_id")).toList();
            List<EndedSession> ended = new java.util.ArrayList<>();
            int excess = open.size() - limit.sessions();
            for (String family : open) {
                if (ended.size() >= excess) {
                    break;
                }
                if (family.equals(familyId)) {
                    continue; // begun by a clock behind the others': still the one the caller asked for
                }
                if (revokeFamily(tx, family, issuedAt) > 0) {
                    EndedSession session = new EndedSession(principal.subject(), family);
                    AuditPersistenceAdapter.insert(tx, audit.apply(session));
                    ended.add(session);
                }
            }
            return List.copyOf(ended);
        }));
    }

    /** Stores a refresh token through the given executor (a registration's transaction, say). */
    static long insertRefreshToken(io.helidon.dbclient.DbExecute exec, String tokenHash, String familyId,
                                   Principal principal, Instant issuedAt, Instant expiresAt) {
        return exec.insert("""
                        INSERT INTO refresh_tokens (token_hash, family_id, subject, role, issued_at, expires_at)
                        VALUES (?, ?, ?, ?, ?, ?)""",
                tokenHash, familyId, principal.subject(), principal.role().label(),
                Rows.timestamp(issuedAt), Rows.timestamp(expiresAt));
    }

    @Override
    public Consumption consumeRefreshToken(String tokenHash, Successor successor, Instant now,
                                           java.time.Duration reuseGrace, RateLimit limit) {
        return Rows.guard("using a refresh token", () -> Rows.inTransaction(db, tx -> {
            // One refresh of a family at a time, on every instance: a retry and the use of the
            // token it replaces (or two retries) are decided one after the other, and never lock
            // each other's rows in opposite orders.
            if (tx.get("SELECT pg_advisory_xact_lock(?, hashtext(family_id)) IS NULL AS locked FROM refresh_tokens"
                    + " WHERE token_hash = ?", FAMILY_LOCK, tokenHash).isEmpty()) {
                return new Consumption.Rejected();
            }
            // A revocation of all the subject's tokens (a changed password, an enrolment elsewhere)
            // waits for this refresh to commit, so that it sees the successor stored below and
            // revokes it too; one that came first has committed when this lock is granted, and the
            // token is found revoked.
            tx.get("SELECT pg_advisory_xact_lock_shared(?, hashtext(subject_kind || '/' || subject)) IS NULL AS locked"
                    + " FROM refresh_tokens WHERE token_hash = ?", SUBJECT_LOCK, tokenHash);
            Optional<DbRow> row = tx.get("""
                    SELECT family_id, subject, role, expires_at, used_at IS NOT NULL AS used,
                           revoked_at IS NOT NULL AS revoked, superseded_at IS NOT NULL AS superseded,
                           used_at > ? AS within_grace,
                           (SELECT c.decommissioned_at FROM collectors c
                            WHERE t.subject_kind = 'collector' AND c.id = t.subject) AS decommissioned_at,
                           EXISTS (SELECT 1 FROM collectors c WHERE t.subject_kind = 'collector' AND c.id = t.subject
                                   AND c.decommissioned_at IS NOT NULL) AS decommissioned
                    FROM refresh_tokens t WHERE token_hash = ? FOR UPDATE OF t""",
                    Rows.timestamp(now.minus(reuseGrace)), tokenHash);
            if (row.isEmpty()) {
                return new Consumption.Rejected(); // purged meanwhile
            }
            DbRow r = row.get();
            if (flag(r, "decommissioned")) {
                // Revoked with its collector, for good: its holder (only it has this token) learns why,
                // so that it stops asking to be re-bound to an id that is never bound again.
                return new Consumption.Decommissioned(CollectorId.of(Rows.text(r, "subject")),
                        Rows.instant(r, "decommissioned_at"));
            }
            String family = Rows.text(r, "family_id");
            if (!now.isBefore(Rows.instant(r, "expires_at"))) {
                return new Consumption.Rejected();
            }
            if (flag(r, "superseded")) {
                // A retry of the token before it replaced this one, and someone presents it all the
                // same: it did reach a holder, so two hold the family. Audited once, while there is
                // anything left to revoke.
                return revokeFamily(tx, family, now) > 0
                        ? new Consumption.Reused(family, Rows.text(r, "subject"), Reuse.SUPERSEDED) : new Consumption.Rejected();
            }
            if (flag(r, "revoked")) {
                return new Consumption.Rejected();
            }
            boolean retry = flag(r, "used") && flag(r, "within_grace");
            if (flag(r, "used") && !retry) {
                // Reuse means the token leaked: whoever holds any token of this family loses it.
                revokeFamily(tx, family, now);
                return new Consumption.Reused(family, Rows.text(r, "subject"), Reuse.SPENT);
            }
            // A retry: the answer to the first use was probably lost (restart, timeout, 503), and the
            // same holder asks again. Its earlier successors never reached it, so they are superseded
            // below and the new one takes their place; one already used did reach someone, who is
            // then not the holder asking now.
            // Locked, for an instance of an earlier release uses a token without the family lock.
            if (retry && tx.query("SELECT used_at IS NOT NULL AS used FROM refresh_tokens WHERE parent_hash = ?"
                    + " AND superseded_at IS NULL FOR UPDATE", tokenHash).toList().stream()
                    .anyMatch(c -> flag(c, "used"))) {
                revokeFamily(tx, family, now);
                return new Consumption.Reused(family, Rows.text(r, "subject"), Reuse.SUCCESSOR_USED);
            }
            // Only now, before anything is stored: a leaked token is told apart (and its family
            // revoked) above whatever the rate, and a refused refresh spends nothing.
            Optional<Instant> until = tooFrequentUntil(tx, family, now, limit);
            if (until.isPresent()) {
                return new Consumption.TooFrequent(family, Rows.text(r, "subject"), limit, until.get());
            }
            if (retry) {
                tx.update("UPDATE refresh_tokens SET superseded_at = ?, revoked_at = ? WHERE parent_hash = ?"
                        + " AND revoked_at IS NULL", Rows.timestamp(now), Rows.timestamp(now), tokenHash);
            } else {
                tx.update("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?", Rows.timestamp(now), tokenHash);
            }
            tx.insert("""
                            INSERT INTO refresh_tokens (token_hash, family_id, subject, role, issued_at, expires_at,
                                                        parent_hash)
                            VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    successor.tokenHash(), family, Rows.text(r, "subject"), Rows.text(r, "role"),
                    Rows.timestamp(successor.issuedAt()), Rows.timestamp(successor.expiresAt()), tokenHash);
            return new Consumption.Consumed(new Principal(Rows.text(r, "subject"), Role.parse(Rows.text(r, "role"))), family);
        }));
    }

    /**
     * When the family may store a token again, if it stored as many as the limit allows within the
     * window before {@code now}: when the oldest of those leaves the window. Every token of the
     * family counts, retries and superseded ones too, for each is a row. The caller holds the
     * family's lock, so two refreshes of one session (on two instances) never both count the same
     * rows; at most {@code limit.refreshes()} index entries are read.
     */
    private static Optional<Instant> tooFrequentUntil(io.helidon.dbclient.DbTransaction tx, String family,
                                                      Instant now, RateLimit limit) {
        DbRow recent = tx.get("""
                        SELECT count(*) AS stored, min(issued_at) AS oldest FROM (
                            SELECT issued_at FROM refresh_tokens WHERE family_id = ? AND issued_at > ?
                            ORDER BY issued_at DESC LIMIT ?) newest""",
                family, Rows.timestamp(now.minus(limit.window())), limit.refreshes()).orElseThrow();
        if (Rows.integer(recent, "stored") < limit.refreshes()) {
            return Optional.empty();
        }
        Instant until = Rows.instant(recent, "oldest").plus(limit.window());
        // A token issued ahead of this now (by a clock since corrected) holds the family off for a
        // window at most.
        Instant latest = now.plus(limit.window());
        return Optional.of(until.isAfter(latest) ? latest : until);
    }

    private static boolean flag(DbRow r, String column) {
        return Boolean.TRUE.equals(r.column(column).get(Boolean.class));
    }

    /**
     * Revokes every token of a family and, when that ended a session, announces the session: every
     * instance checks its access tokens again (they name it, and end with it) and ends the watches
     * held with them, not those of the subject's other sessions.
     */
    private static long revokeFamily(io.helidon.dbclient.DbTransaction tx, String family, Instant now) {
        List<DbRow> revoked = tx.query("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ?"
                + " AND revoked_at IS NULL RETURNING subject", Rows.timestamp(now), family).toList();
        revoked.stream().map(r -> Rows.text(r, "subject")).distinct()
                .forEach(subject -> PostgresChangeFeed.announceSession(tx, subject, family));
        return revoked.size();
    }

    @Override
    public Optional<EndedSession> endSession(String tokenHash, Instant now) {
        return Rows.guard("ending a session", () -> Rows.inTransaction(db, tx -> {
            // Ordered with the family's refreshes (the same lock as a refresh takes): a refresh under
            // way either finishes before, and its new token is revoked with the others, or finds
            // the family revoked.
            Optional<DbRow> family = tx.get("SELECT family_id, subject, pg_advisory_xact_lock(?, hashtext(family_id))"
                    + " IS NULL AS locked FROM refresh_tokens WHERE token_hash = ?", FAMILY_LOCK, tokenHash);
            if (family.isEmpty()) {
                return Optional.<EndedSession>empty();
            }
            String session = Rows.text(family.get(), "family_id");
            return revokeFamily(tx, session, now) > 0
                    ? Optional.of(new EndedSession(Rows.text(family.get(), "subject"), session))
                    : Optional.<EndedSession>empty();
        }));
    }

    @Override
    public boolean isSessionLive(String session) {
        // A rotation keeps one token of the family unrevoked; a revocation leaves none.
        return Rows.guard("checking a session", () -> db.execute().get("SELECT EXISTS (SELECT 1 FROM refresh_tokens"
                        + " WHERE family_id = ? AND revoked_at IS NULL) AS live", session)
                .map(r -> Boolean.TRUE.equals(r.column("live").get(Boolean.class))).orElse(false));
    }

    @Override
    public void revokeRefreshTokensOfUser(Username username, Instant now) {
        revoke("user", username.value(), now);
    }

    @Override
    public void revokeRefreshTokensOfCollector(CollectorId collectorId, Instant now) {
        revoke("collector", collectorId.value(), now);
    }

    /** Users and collectors are separate namespaces (see migration V8): the kind is part of the key. */
    private void revoke(String kind, String subject, Instant now) {
        Rows.guard("revoking refresh tokens", () -> Rows.inTransaction(db, tx -> {
            lockSessionsOf(tx, kind, subject);
            long revoked = tx.update("UPDATE refresh_tokens SET revoked_at = ? WHERE subject_kind = ? AND subject = ?"
                    + " AND revoked_at IS NULL", Rows.timestamp(now), kind, subject);
            if (revoked > 0) {
                // The sessions end now, on every instance: what an instance learned of the subject's
                // change (a new password, announced when it was stored) may have been checked
                // against these tokens before this revoked them.
                PostgresChangeFeed.announcePrincipal(tx, subject);
            }
            return revoked;
        }));
    }

    /**
     * Taken in a transaction before it revokes every refresh token of a subject: waits for the
     * subject's refreshes under way to commit, and holds new ones off until the transaction ends.
     * A refresh stores its successor in its own transaction; under READ COMMITTED a revoking
     * statement that began while it ran would never see that successor (it waits for the spent
     * token's row, not for rows inserted meanwhile), and a session refreshed back to back by
     * whoever stole it would outlive the password change or the enrolment that was to end it.
     *
     * @param exec    the revoking transaction
     * @param kind    {@code user} or {@code collector}
     * @param subject the user name or collector id
     */
    static void lockSessionsOf(io.helidon.dbclient.DbExecute exec, String kind, String subject) {
        exec.get("SELECT pg_advisory_xact_lock(?, hashtext(?::text || '/' || ?::text)) IS NULL AS locked",
                SUBJECT_LOCK, kind, subject);
    }

    @Override
    public Saving saveEnrolmentToken(String tokenHash, CollectorId collectorId, Instant expiresAt, AuditEntry audit) {
        return Rows.guard("saving an enrolment token", () -> Rows.inTransaction(db, tx -> {
            // The row lock orders the issue with a decommission of the same collector: whichever
            // comes second sees the other (a registration refuses a token of a decommissioned
            // collector all the same).
            Optional<DbRow> collector = tx.get("SELECT decommissioned_at, decommissioned_at IS NOT NULL AS decommissioned"
                    + " FROM collectors WHERE id = ? FOR SHARE", collectorId.value());
            if (collector.isEmpty()) {
                return new Saving.Unknown();
            }
            if (flag(collector.get(), "decommissioned")) {
                return new Saving.Decommissioned(Rows.instant(collector.get(), "decommissioned_at"));
            }
            tx.insert("INSERT INTO enrolment_tokens (token_hash, collector_id, expires_at) VALUES (?, ?, ?)",
                    tokenHash, collectorId.value(), Rows.timestamp(expiresAt));
            AuditPersistenceAdapter.insert(tx, audit);
            return new Saving.Stored();
        }));
    }

    /** Uses an enrolment token inside a registration's transaction. */
    static Optional<CollectorId> consumeEnrolmentToken(io.helidon.dbclient.DbExecute exec, String tokenHash, Instant now,
                                                       Optional<CollectorId> forCollector) {
        // A token presented by an agent that is another collector is not used at all. Lifting a
        // revocation is the registration's own step, once it has seen its collector is not decommissioned.
        String expected = forCollector.map(CollectorId::value).orElse("");
        return exec.get("""
                        UPDATE enrolment_tokens SET used_at = ?
                        WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
                          AND (? = '' OR collector_id = ?)
                        RETURNING collector_id""", Rows.timestamp(now), tokenHash, Rows.timestamp(now), expected,
                        expected)
                .map(r -> CollectorId.of(Rows.text(r, "collector_id")));
    }
}
