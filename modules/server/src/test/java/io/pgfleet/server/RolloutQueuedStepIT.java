package io.pgfleet.server;

import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A step of the rollout driver that waits for the layers lock (another instance's large layer
 * change, or a step of a frozen instance, holds it) does not date what it does from before the
 * wait: the wave it starts is delivered when the step commits, and its members get their whole
 * {@code apply_deadline_seconds} from then. Over real HTTP and PostgreSQL; the lock is held by a
 * transaction of the test's, as a layer change holds it.
 */
class RolloutQueuedStepIT {

    @RegisterExtension
    static final RunningServer SERVER = RolloutFleet.server();

    /** The layers lock every layer change and rollout step takes first (the adapter's advisory lock key). */
    private static final long LAYERS_LOCK = 0x7067666c6c617972L;

    /** The wave's deadline: the lock is held longer than that. */
    private static final int DEADLINE_SECONDS = 5;

    @Test
    void aWaveWhoseStartWaitedForTheLayersLockCountsItsDeadlineFromWhenItStarted() throws Exception {
        RolloutFleet fleet = new RolloutFleet(SERVER.port(), SERVER.admin());
        fleet.group("queued", "{\"suite\":\"queued\"}");
        RolloutFleet.Member canary = fleet.seen("queued-canary", "{\"suite\":\"queued\",\"canary\":\"true\"}");
        RolloutFleet.Member other = fleet.seen("queued-a", "{\"suite\":\"queued\"}");
        long id = fleet.start("group/queued", "[collector]\npush_interval = 20\n", RolloutFleet.CANARY_FIRST, 0,
                DEADLINE_SECONDS);

        try (Connection layerChange = SERVER.database().connect()) {
            layerChange.setAutoCommit(false);
            try (Statement s = layerChange.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + LAYERS_LOCK + ")");
            }
            // The canary passes wave 1 (no bake): the driver decides to start wave 2 and queues for the lock.
            canary.applied();
            Instant queued = awaitStepWaitingForTheLock();
            // The layer change lasts longer than the next wave's whole deadline.
            awaitDatabaseTime(queued.plusSeconds(DEADLINE_SECONDS + 1));
            layerChange.commit();
        }

        fleet.awaitWave(id, 2);
        RolloutFleet.awaitDriverRounds(SERVER, 3);
        JsonObject judged = fleet.rollout(id);
        assertEquals("running", judged.getString("state"), "the member of wave 2 received the version just now and"
                + " has " + DEADLINE_SECONDS + " s to apply it, not the time left after the wait: " + judged);
        assertEquals(1, judged.getJsonArray("waves").getJsonObject(1).getInt("pending"), judged.toString());
        assertTrue(other.document().contains("push_interval = 20"), "wave 2 delivered the staged version");

        other.applied();
        assertEquals("all 2 waves passed", fleet.awaitState(id, "completed").getString("reason"));
    }

    /** Waits until a session waits for the layers lock (the driver's step), and says when, by the database's clock. */
    private static Instant awaitStepWaitingForTheLock() throws Exception {
        Instant deadline = Instant.now().plus(RolloutFleet.SOON);
        while (true) {
            try (Connection c = SERVER.database().connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT now() AS now, EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted"
                         + " AND locktype = 'advisory') AS waiting")) {
                rs.next();
                if (rs.getBoolean("waiting")) {
                    return rs.getTimestamp("now").toInstant();
                }
            }
            if (Instant.now().isAfter(deadline)) {
                fail("the driver never queued for the layers lock to start wave 2");
            }
            Thread.sleep(20); // polling interval of a condition with a deadline
        }
    }

    /** Waits until the database's clock, which the server tells, has passed a moment. */
    private static void awaitDatabaseTime(Instant moment) throws Exception {
        while (true) {
            try (Connection c = SERVER.database().connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT clock_timestamp() AS now")) {
                rs.next();
                Instant now = rs.getTimestamp("now").toInstant();
                if (now.isAfter(moment)) {
                    return;
                }
                Thread.sleep(Math.max(1, Duration.between(now, moment).toMillis())); // the time itself is what is awaited
            }
        }
    }
}
