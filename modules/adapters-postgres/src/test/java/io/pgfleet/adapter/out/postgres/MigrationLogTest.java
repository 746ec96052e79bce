package io.pgfleet.adapter.out.postgres;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A first start's migration log is lines an operator reads, not the result sets of the queries some
 * migrations run (migration 26 creates each day's sample partition with a SELECT), which Flyway
 * would print as ASCII tables. The migrations themselves stay as they shipped.
 */
class MigrationLogTest {

    @Test
    void migratingAnEmptyDatabaseLogsNoQueryResultTable() {
        TestDatabase db = TestPostgres.newDatabaseAt("1");
        List<String> logged = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                synchronized (logged) {
                    logged.add(r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        try {
            PostgresStorage.migrate(new DatabaseSettings(db.url(), db.user(), db.password(), 1));
        } finally {
            root.removeHandler(capture);
        }
        synchronized (logged) {
            assertTrue(logged.stream().anyMatch(l -> l.contains("Successfully applied")),
                    "Flyway's own lines are still there: " + logged);
            for (String line : logged) {
                assertFalse(line.lines().anyMatch(l -> l.startsWith("+-") || l.startsWith("| ")),
                        "a query's result as an ASCII table in the migration log:\n" + line);
            }
        }
    }
}
