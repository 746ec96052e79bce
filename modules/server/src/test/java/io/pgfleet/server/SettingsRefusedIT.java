package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped jar refuses settings it cannot use the way operations.md promises: one line naming
 * what is wrong, no stack trace, and nothing started (no PostgreSQL, no listener).
 */
class SettingsRefusedIT {

    @Test
    void aConfigFileThatCannotBeReadIsABadSettingNamedInOneLineWithStatus2(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("sever.toml");
        ServerProcess.Failed run = ServerProcess.runCommand(dir.resolve("data"), Map.of(), "", "--config", missing.toString());

        assertEquals(2, run.exit(), run.output());
        assertTrue(run.output().startsWith("pgfleet-server: cannot read the config file " + missing + ": no such file\n"),
                run.output());
        assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());

        // A directory given for the file, through PGFLEET_CONFIG as a unit's Environment= would.
        run = ServerProcess.runCommand(dir.resolve("data"), Map.of("PGFLEET_CONFIG", dir.toString()), "");

        assertEquals(2, run.exit(), run.output());
        assertTrue(run.output().startsWith("pgfleet-server: cannot read the config file " + dir + ": "), run.output());
        assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
        assertFalse(dir.resolve("data").toFile().exists(), "nothing started on the data directory");

        // The commands that take the server's settings say the same.
        run = ServerProcess.runCommand(dir.resolve("data"), Map.of(), "", "backup", dir.resolve("b.backup").toString(),
                "--config", missing.toString());

        assertEquals(2, run.exit(), run.output());
        assertTrue(run.output().startsWith("pgfleet backup: cannot read the config file " + missing + ": no such file"),
                run.output());
    }

    @Test
    void aKeyOfTheWrongTypeInTheConfigFileIsABadSettingNamedInOneLineWithStatus2(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.toml");
        java.nio.file.Files.writeString(file, "data_dir = 5\n");
        ServerProcess.Failed run = ServerProcess.runCommand(dir.resolve("data"), Map.of(), "", "--config", file.toString());

        assertEquals(2, run.exit(), run.output());
        assertTrue(run.output().startsWith("pgfleet-server: " + file + ": data_dir takes a string (a path), not an integer\n"),
                run.output());
        assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
        assertFalse(dir.resolve("data").toFile().exists(), "nothing started on the data directory");
    }

    @Test
    void aRetentionBeyondItsBoundIsABadSettingNamedInOneLineWithStatus2(@TempDir Path dir) throws Exception {
        ServerProcess.Failed run = ServerProcess.runCommand(dir.resolve("data"),
                Map.of("PGFLEET_RETENTION_SAMPLES_DAYS", "2147483647"), "");

        assertEquals(2, run.exit(), run.output());
        assertTrue(run.output().startsWith("pgfleet-server: retention_samples_days (PGFLEET_RETENTION_SAMPLES_DAYS) must be"
                + " 1..36500, got 2147483647\n"), run.output());
        assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
        assertFalse(dir.resolve("data").toFile().exists(), "nothing started on the data directory");
    }

    @Test
    void aHostThatDoesNotResolveFailsTheStartInOneLineBeforeTheDatabaseStarts(@TempDir Path dir) throws Exception {
        // Port 0 (any free port) as well: the host alone makes the address unusable.
        ServerProcess.Failed run = ServerProcess.runUntilExit(dir.resolve("data"),
                Map.of("PGFLEET_HOST", "pgfleet-nosuch.invalid"));

        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().lines().anyMatch(l -> l.startsWith("pgfleet-server: cannot start: cannot listen on "
                + "pgfleet-nosuch.invalid:0 (the host name does not resolve to an address); set host (PGFLEET_HOST")),
                "one line naming the host and the setting:\n" + run.output());
        assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
        assertFalse(run.output().contains("pgfleet server ready"), run.output());
        assertFalse(dir.resolve("data").resolve("postgres").toFile().exists(),
                "refused before the embedded PostgreSQL was made:\n" + run.output());
    }

    @Test
    void aDataDirectoryThatCannotBeOneIsNamedWithWhyAndTheSetting(@TempDir Path dir) throws Exception {
        Path file = java.nio.file.Files.writeString(dir.resolve("pgfleet-data"), "not a directory");
        for (Path dataDir : new Path[] {file, file.resolve("sub")}) {
            ServerProcess.Failed run = ServerProcess.runUntilExit(dataDir, Map.of());

            assertEquals(1, run.exit(), run.output());
            String why = dataDir.equals(file) ? "it exists and is not a directory" : "Not a directory";
            assertTrue(run.output().lines().anyMatch(l -> l.equals("pgfleet-server: cannot start: cannot use the data directory "
                    + dataDir + ": " + why + "; set data_dir (PGFLEET_DATA_DIR) to a directory the server's user may write,"
                    + " or db_url (PGFLEET_DB_URL) to use an existing PostgreSQL server instead")),
                    "one line naming the directory, why and the setting:\n" + run.output());
            assertFalse(run.output().contains("Exception"), "no stack trace:\n" + run.output());
        }
    }
}
