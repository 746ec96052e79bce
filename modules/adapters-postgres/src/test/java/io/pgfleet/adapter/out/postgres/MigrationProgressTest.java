package io.pgfleet.adapter.out.postgres;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The line of a start whose connection was lost in the middle of the migration says what that left. */
class MigrationProgressTest {

    private static final String URL = "jdbc:postgresql://db:5432/pgfleet";
    private static final String REASON = "FATAL: terminating connection due to administrator command";

    @Test
    void aMigrationInATransactionWasRolledBackAndStartingAgainContinues() {
        assertEquals("the connection to the database at jdbc:postgresql://db:5432/pgfleet was lost during migration 36"
                + " (restore mark per collector): " + REASON + "; it runs in a transaction of its own, which"
                + " PostgreSQL rolled back with the connection, so the schema is as the migrations before it left it:"
                + " start again to continue",
                MigrationProgress.lostLine(URL, Optional.of(new MigrationProgress.Migration(
                        "migration 36 (restore mark per collector)", true)), REASON));
    }

    @Test
    void aLossBetweenMigrationsNamesNoneAndStillSaysTheSchemaIsWhole() {
        String line = MigrationProgress.lostLine(URL, Optional.empty(), REASON);
        assertTrue(line.startsWith("the connection to the database at " + URL + " was lost during the schema migration: "
                + REASON + "; "), line);
        assertTrue(line.endsWith("the schema is as the last completed migration left it: start again to continue"), line);
    }

    @Test
    void aMigrationOutsideATransactionIsNotClaimedRolledBack() {
        String line = MigrationProgress.lostLine(URL, Optional.of(new MigrationProgress.Migration(
                "migration 40 (an index built concurrently)", false)), REASON);
        assertTrue(line.contains("does not run in a transaction") && line.contains("check the schema"), line);
        assertTrue(!line.contains("rolled back"), line);
    }
}
