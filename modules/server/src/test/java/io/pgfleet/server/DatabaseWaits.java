package io.pgfleet.server;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Waiting in tests for what a database or server is doing: a condition polled, sessions waiting for a lock. */
final class DatabaseWaits {

    private DatabaseWaits() {
    }

    /** Polls a condition until it holds, failing after a minute with what was awaited. */
    static void awaitCondition(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    /**
     * Sessions other than this connection's waiting for a lock of a kind.
     *
     * @param c         a connection to the database
     * @param waitEvent {@code advisory}, {@code relation}, … (pg_stat_activity.wait_event)
     */
    static long waitingForALock(Connection c, String waitEvent) {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT count(*) FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND wait_event = ? AND pid <> pg_backend_pid()""")) {
            s.setString(1, waitEvent);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
