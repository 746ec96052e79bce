package io.pgfleet.bench.fleet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The database's memory is found through its data directory: the postmaster pg_ctl starts is not a
 * child of the simulator, so looking among the simulator's descendants found nothing and the
 * PostgreSQL memory check was never judged.
 */
class ProcsTest {

    @Test
    void thePostgresqlOfADataDirectoryIsFoundByItsPostmasterPidFile(@TempDir Path dataDir) throws Exception {
        // A running process that is not a descendant of this JVM stands for the detached postmaster:
        // this JVM itself (its parent's child, not its own).
        long pid = ProcessHandle.current().pid();
        Files.writeString(dataDir.resolve("postmaster.pid"), pid + "\n" + dataDir + "\n1764500000\n5432\n");
        assertEquals(Optional.of(pid), Procs.postmasterPid(dataDir));
        assertTrue(Procs.postgresPssMiB(dataDir) > 0, "the process's proportional set size is read");
    }

    @Test
    void noPostmasterPidFileMeansNoDatabaseRunning(@TempDir Path dataDir) {
        assertEquals(Optional.empty(), Procs.postmasterPid(dataDir));
        assertEquals(-1, Procs.postgresPssMiB(dataDir));
    }
}
