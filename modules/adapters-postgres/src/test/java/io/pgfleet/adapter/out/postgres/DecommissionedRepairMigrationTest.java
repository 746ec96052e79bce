package io.pgfleet.adapter.out.postgres;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Migration 31 against real PostgreSQL holding what earlier releases could leave behind: a
 * decommissioned collector brought back by an enrolment token (no revocation, a live refresh token).
 * The upgrade revokes it and its tokens, leaves every other row as it was, and the table refuses such
 * a row from then on (an instance of the previous release during a rolling upgrade included).
 */
class DecommissionedRepairMigrationTest {

    @Test
    void upgradeRevokesADecommissionedCollectorAnEarlierReleaseBroughtBackAndHoldsTheTableToIt() throws SQLException {
        TestDatabase db = TestPostgres.newDatabaseAt("30");
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
             Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO collectors (id, name, created_at, decommissioned_at, revoked_at) VALUES
                        ('zombie', 'zombie', '2026-11-01T00:00Z', '2026-11-02T00:00Z', NULL),
                        ('gone', 'gone', '2026-11-01T00:00Z', '2026-11-03T00:00Z', '2026-11-03T00:00Z'),
                        ('alive', 'alive', '2026-11-01T00:00Z', NULL, NULL),
                        ('admin', 'admin', '2026-11-01T00:00Z', NULL, NULL)""");
            s.execute("""
                    INSERT INTO refresh_tokens (token_hash, family_id, subject, role, issued_at, expires_at) VALUES
                        (repeat('a', 64), 'f1', 'zombie', 'collector', now(), now() + interval '30 days'),
                        (repeat('b', 64), 'f2', 'alive', 'collector', now(), now() + interval '30 days'),
                        (repeat('c', 64), 'f3', 'zombie', 'operator', now(), now() + interval '30 days')""");
        }

        PostgresStorage.migrate(new DatabaseSettings(db.url(), db.user(), db.password(), 1));

        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
             Statement s = c.createStatement()) {
            assertEquals("zombie:2026-11-02 revoked | gone:2026-11-03 revoked | alive | admin", rows(s, """
                    SELECT id || CASE WHEN revoked_at IS NULL THEN '' ELSE
                           ':' || to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' revoked' END
                    FROM collectors ORDER BY created_at, decommissioned_at NULLS LAST, id DESC"""));
            // The collector's token is ended; a user who happens to share the name keeps theirs.
            assertEquals("f1 revoked | f2 live | f3 live", rows(s, """
                    SELECT family_id || CASE WHEN revoked_at IS NULL THEN ' live' ELSE ' revoked' END
                    FROM refresh_tokens ORDER BY family_id"""));
            SQLException refused = assertThrows(SQLException.class,
                    () -> s.executeUpdate("UPDATE collectors SET revoked_at = NULL WHERE id = 'zombie'"));
            assertTrue(refused.getMessage().contains("collectors_decommissioned_stay_revoked"), refused.getMessage());
        }
    }

    private static String rows(Statement s, String sql) throws SQLException {
        StringBuilder out = new StringBuilder();
        try (ResultSet r = s.executeQuery(sql)) {
            while (r.next()) {
                out.append(out.isEmpty() ? "" : " | ").append(r.getString(1));
            }
        }
        return out.toString();
    }
}
