package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Optional;

/**
 * Refresh and enrolment tokens, stored only as SHA-256 hashes.
 */
public final class TokenPersistenceAdapter implements RefreshTokenStorePort, EnrolmentTokenStorePort {

    private final DbClient db;

    TokenPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public void saveRefreshToken(String tokenHash, String familyId, Principal principal, Instant issuedAt,
                                 Instant expiresAt) {
        Rows.guard("saving a refresh token", () -> insertRefreshToken(db.execute(), tokenHash, familyId, principal,
                issuedAt, expiresAt));
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
    public Consumption consumeRefreshToken(String tokenHash, Instant now, java.time.Duration reuseGrace) {
        return Rows.guard("using a refresh token", () -> Rows.inTransaction(db, tx -> {
            Optional<DbRow> row = tx.get("""
                    SELECT family_id, subject, role, expires_at, used_at IS NOT NULL AS used,
                           revoked_at IS NOT NULL AS revoked, used_at > ? AS within_grace
                    FROM refresh_tokens WHERE token_hash = ? FOR UPDATE""", Rows.timestamp(now.minus(reuseGrace)), tokenHash);
            if (row.isEmpty()) {
                return new Consumption.Rejected();
            }
            DbRow r = row.get();
            String family = Rows.text(r, "family_id");
            if (r.column("revoked").get(Boolean.class) || !now.isBefore(Rows.instant(r, "expires_at"))) {
                return new Consumption.Rejected();
            }
            if (r.column("used").get(Boolean.class) && Boolean.TRUE.equals(r.column("within_grace").get(Boolean.class))) {
                // The answer to the first use was probably lost (restart, timeout, 503): the same
                // holder asks again, and gets a fresh pair of the same family instead of a lock-out.
                return new Consumption.Consumed(new Principal(Rows.text(r, "subject"), Role.parse(Rows.text(r, "role"))), family);
            }
            if (r.column("used").get(Boolean.class)) {
                // Reuse means the token leaked: whoever holds any token of this family loses it.
                tx.update("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                        Rows.timestamp(now), family);
                return new Consumption.Reused(family);
            }
            tx.update("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?", Rows.timestamp(now), tokenHash);
            return new Consumption.Consumed(new Principal(Rows.text(r, "subject"), Role.parse(Rows.text(r, "role"))), family);
        }));
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
        Rows.guard("revoking refresh tokens", () -> db.execute().update(
                "UPDATE refresh_tokens SET revoked_at = ? WHERE subject_kind = ? AND subject = ? AND revoked_at IS NULL",
                Rows.timestamp(now), kind, subject));
    }

    @Override
    public boolean saveEnrolmentToken(String tokenHash, CollectorId collectorId, Instant expiresAt, AuditEntry audit) {
        return Rows.guard("saving an enrolment token", () -> Rows.inTransaction(db, tx -> {
            // The row lock orders the issue with a decommission of the same collector: whichever
            // comes second sees the other (a registration refuses a token of a decommissioned
            // collector all the same).
            if (tx.get("SELECT id FROM collectors WHERE id = ? AND decommissioned_at IS NULL FOR SHARE",
                    collectorId.value()).isEmpty()) {
                return false;
            }
            tx.insert("INSERT INTO enrolment_tokens (token_hash, collector_id, expires_at) VALUES (?, ?, ?)",
                    tokenHash, collectorId.value(), Rows.timestamp(expiresAt));
            AuditPersistenceAdapter.insert(tx, audit);
            return true;
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
