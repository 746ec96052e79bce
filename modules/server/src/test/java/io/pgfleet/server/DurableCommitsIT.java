package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.PostgresStorage;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An external PostgreSQL set up with {@code synchronous_commit = off} for pgfleet's database (a
 * DBA's tuning for another application) would acknowledge commits before they are on disk, and a
 * crash of its host would lose answered publishes. pgfleet's sessions commit with {@code on}
 * instead, and the start says so; a stronger setting (a standby to wait for) is left as it is.
 */
class DurableCommitsIT {

    @Test
    void aDatabaseWithSynchronousCommitOffIsToldAndCommittedToDurably() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        String name = URI.create(db.url().substring("jdbc:".length())).getPath().substring(1);
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + name + " SET synchronous_commit = off");
        }
        List<String> logged = new CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger(PgfleetServer.class.getName());
        CapturingHandler capture = new CapturingHandler(logged);
        log.addHandler(capture);
        try (PgfleetServer server = PgfleetServer.start(TestServers.settings(db))) {
            // What the server's own sessions commit with: each audit entry it writes notes the setting.
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE commit_settings (setting text NOT NULL)");
                s.execute("CREATE FUNCTION note_commit_setting() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " INSERT INTO commit_settings VALUES (current_setting('synchronous_commit')); RETURN NULL; END; $$");
                s.execute("CREATE TRIGGER note_commit_setting AFTER INSERT ON audit_log"
                        + " FOR EACH ROW EXECUTE FUNCTION note_commit_setting()");
            }
            assertEquals(201, ApiClient.asAdmin(server.port()).createCollector("durable-1").statusCode());
            try (Connection c = db.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT coalesce(string_agg(DISTINCT setting, ','), '') FROM commit_settings")) {
                rs.next();
                assertEquals("on", rs.getString(1), "the server's sessions, whose writes are answered as stored");
            }
        } finally {
            log.removeHandler(capture);
        }
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("the database's synchronous_commit is off")
                && l.contains("pgfleet's own sessions commit with synchronous_commit = on")), logged.toString());
        // The tests' PostgreSQL is a throwaway cluster that may run without fsync: said as it is.
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW fsync")) {
            rs.next();
            assertEquals("off".equals(rs.getString(1)), logged.stream().anyMatch(l -> l.startsWith("the database runs with"
                    + " fsync = off: a crash of its host")), "fsync " + rs.getString(1) + ": " + logged);
        }

        // What every pooled session runs when it opens.
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            assertEquals("off", setting(s), "the database's own setting");
            s.execute(PostgresStorage.DURABLE_COMMITS);
            assertEquals("on", setting(s));
            s.execute("SET synchronous_commit = remote_apply");
            s.execute(PostgresStorage.DURABLE_COMMITS);
            assertEquals("remote_apply", setting(s), "a stronger choice stays the DBA's");
            s.execute("SET synchronous_commit = local");
            s.execute(PostgresStorage.DURABLE_COMMITS);
            assertEquals("local", setting(s), "local flushes before it answers");
        }
    }

    private static String setting(Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
