package io.pgfleet.server;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The product's default database: durable, and only reachable with the superuser's password. */
class EmbeddedDatabaseIT {

    @Test
    void runsDurableRefusesPasswordlessLoginsAndASecondServer(@TempDir Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedDatabase.start(dataDir));
            assertTrue(e.getMessage().contains("another pgfleet server"), e.getMessage());
        }
        // A restart reuses the same password and keeps the same rules.
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
        }
    }

    @Test
    void aDataDirectoryFromTheTrustDaysGetsAPassword(@TempDir Path dataDir) throws Exception {
        // What earlier versions left behind: the library's defaults, trust authentication, no password.
        EmbeddedPostgres.builder().setDataDirectory(dataDir.resolve("postgres")).setCleanDataDirectory(false).start().close();
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
        }
    }

    @Test
    void aDataDirectoryCopiedWithLoosePermissionsStartsAndIsClosedAgain(@TempDir Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
        }
        // What a copy or an archive restored without its modes leaves: everything open to everyone.
        try (var paths = Files.walk(dataDir)) {
            for (Path p : paths.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxrwxrwx" : "rw-rw-rw-"));
            }
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            assertDurableAndLocked(db.settings(2), dataDir);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("postgres"))));
        }
    }

    @Test
    void aPostgresKilledUnderTheServerIsStartedAgainOnTheSamePortWithItsData(@TempDir Path dataDir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dataDir)) {
            DatabaseSettings settings = db.settings(2);
            try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE kept (x int)");
                s.execute("INSERT INTO kept VALUES (42)");
            }
            // The OOM killer or an operator's kill -9 on the postmaster: its backends follow it.
            long postmaster = Long.parseLong(Files.readAllLines(dataDir.resolve("postgres/postmaster.pid")).get(0).strip());
            ProcessHandle.of(postmaster).orElseThrow().destroyForcibly();
            ProcessHandle.of(postmaster).ifPresent(p -> p.onExit().join());

            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
            while (true) {
                try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
                     Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT x FROM kept")) {
                    rs.next();
                    assertEquals(42, rs.getInt(1));
                    break;
                } catch (SQLException e) {
                    assertTrue(System.nanoTime() < deadline, "PostgreSQL is back within a minute: " + e.getMessage());
                    Thread.sleep(200);
                }
            }
            assertEquals(settings.url(), db.settings(2).url(), "the same port: the pool's URL stays valid");
            assertDurableAndLocked(db.settings(2), dataDir);
        }
        // Closed for good: not started again behind the server's back.
        assertFalse(Files.exists(dataDir.resolve("postgres/postmaster.pid")), "stopped on close");
        Thread.sleep(1_500);
        assertFalse(Files.exists(dataDir.resolve("postgres/postmaster.pid")), "still stopped after close");
    }

    private static void assertDurableAndLocked(DatabaseSettings settings, Path dataDir) throws Exception {
        try (Connection c = DriverManager.getConnection(settings.url(), settings.user(), settings.password());
             Statement s = c.createStatement()) {
            for (String setting : List.of("fsync", "synchronous_commit", "full_page_writes")) {
                try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
                    rs.next();
                    assertEquals("on", rs.getString(1), setting);
                }
            }
            try (ResultSet rs = s.executeQuery("SHOW password_encryption")) {
                rs.next();
                assertEquals("scram-sha-256", rs.getString(1));
            }
            // Every rule in force, the local socket's included, asks for a SCRAM password.
            List<String> rules = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT type, auth_method, coalesce(error, '') FROM pg_hba_file_rules")) {
                while (rs.next()) {
                    rules.add(rs.getString(1) + " " + rs.getString(2) + rs.getString(3));
                }
            }
            assertTrue(rules.contains("local scram-sha-256"), rules.toString());
            assertTrue(rules.stream().allMatch(r -> r.endsWith(" scram-sha-256")), rules.toString());
            try (ResultSet rs = s.executeQuery("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'postgres'")) {
                rs.next();
                assertTrue(rs.getBoolean(1), "the superuser's password is stored as a SCRAM verifier");
            }
        }

        Properties noPassword = new Properties();
        noPassword.setProperty("user", settings.user());
        SQLException refused = assertThrows(SQLException.class, () -> DriverManager.getConnection(settings.url(), noPassword).close());
        assertTrue(refused.getMessage().contains("password"), refused.getMessage());
        assertThrows(SQLException.class, () -> DriverManager.getConnection(settings.url(), settings.user(), "wrong").close());

        Path passwordFile = dataDir.resolve(EmbeddedDatabase.PASSWORD_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)));
        assertEquals(settings.password(), Files.readString(passwordFile).strip());
        assertFalse(settings.password().isEmpty());
    }
}
