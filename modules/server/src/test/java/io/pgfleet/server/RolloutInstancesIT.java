package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rollouts with several server instances on one database: exactly one drives, and a rollout goes on
 * after its servers restart.
 */
class RolloutInstancesIT {

    private static final String WAVES = "[{\"selector\":{\"canary\":\"true\"}},{\"percent\":100}]";

    private static TestDatabase database;

    @BeforeAll
    static void createDatabase() {
        database = TestPostgres.newDatabase();
    }

    @AfterAll
    static void nothingLeft() {
        // Every server is closed by the test that started it.
    }

    private static PgfleetServer start(String instance) {
        return PgfleetServer.start(TestServers.settings(database).withRollouts(TestServers.settings(database).rollouts()
                .withTick(Duration.ofMillis(100)).withLease(Duration.ofSeconds(2)).withInstance(instance)));
    }

    private static String leaseHolder() throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT holder FROM rollout_lease WHERE expires_at > now()")) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    private static List<String> automaticAuthors(JsonObject rollout) {
        return rollout.getJsonArray("timeline").getValuesAs(JsonObject.class).stream()
                .map(e -> e.getString("by")).filter(b -> b.startsWith("rollout-driver@")).distinct().toList();
    }

    @Test
    void twoInstancesShareTheWorkButExactlyOneDrives() throws Exception {
        try (PgfleetServer alpha = start("alpha"); PgfleetServer beta = start("beta")) {
            ApiClient adminA = ApiClient.asAdmin(alpha.port());
            RolloutFleet viaA = new RolloutFleet(alpha.port(), adminA);
            RolloutFleet viaB = new RolloutFleet(beta.port(), ApiClient.asAdmin(beta.port()));
            viaA.group("two", "{\"suite\":\"two\"}");
            RolloutFleet.Member canary = viaB.seen("two-canary", "{\"suite\":\"two\",\"canary\":\"true\"}");
            List<RolloutFleet.Member> rest = List.of(viaB.seen("two-a", "{\"suite\":\"two\"}"),
                    viaB.seen("two-b", "{\"suite\":\"two\"}"));

            long id = viaA.start("group/two", "[collector]\npush_interval = 20\n", WAVES, 0, 60);
            canary.applied();
            viaB.awaitWave(id, 2);
            rest.forEach(RolloutFleet.Member::applied);
            JsonObject done = viaB.awaitState(id, "completed");

            String holder = leaseHolder();
            assertTrue(List.of("alpha", "beta").contains(holder), holder);
            assertEquals(holder, done.getString("driver"));
            assertEquals(List.of("rollout-driver@" + holder), automaticAuthors(done), "one instance made every step");
            assertEquals(2, done.getJsonArray("timeline").getValuesAs(JsonObject.class).stream()
                    .filter(e -> e.getString("kind").equals("wave_started")).count(), "each wave started once");
            assertEquals(viaA.rollout(id), viaB.rollout(id), "both instances show the same rollout");
        }
    }

    @Test
    void aRunningRolloutNamesItsDriverFromTheStartTheStartingInstanceUntilAnotherHoldsTheLease() throws Exception {
        // A tick of a minute: this instance takes the lease only long after the test has looked.
        try (PgfleetServer starter = PgfleetServer.start(TestServers.settings(database).withRollouts(TestServers
                .settings(database).rollouts().withLease(Duration.ofSeconds(120)).withTick(Duration.ofSeconds(60))
                .withInstance("starter")))) {
            RolloutFleet fleet = new RolloutFleet(starter.port(), ApiClient.asAdmin(starter.port()));
            fleet.group("drv", "{\"suite\":\"drv\"}");
            fleet.seen("drv-canary", "{\"suite\":\"drv\",\"canary\":\"true\"}");
            fleet.seen("drv-a", "{\"suite\":\"drv\"}");
            long id = fleet.start("group/drv", "[collector]\npush_interval = 20\n", WAVES, 0, 60);
            assertEquals("", leaseHolder(), "no instance holds the lease yet");
            JsonObject started = fleet.rollout(id);
            assertFalse(started.isNull("driver"), "a running rollout names its driver: " + started);
            assertEquals("starter", started.getString("driver"), "the instance that started it");

            try (PgfleetServer holder = start("holder")) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!leaseHolder().equals("holder")) {
                    assertTrue(System.nanoTime() < deadline, "the second instance takes the lease");
                    Thread.sleep(50); // polling interval of a condition with a deadline
                }
                JsonObject waiting = fleet.rollout(id);
                assertEquals(1, waiting.getInt("current_wave"), "nothing moved it: the canary has not applied");
                assertEquals("holder", waiting.getString("driver"), "the lease holder drives it before its first step");
            }
        }
    }

    @Test
    void anInstanceWhoseClockIsBehindDoesNotShortenTheDeadlineOfTheWavesItStarts() throws Exception {
        // Ten minutes behind: a VM resumed with a stale clock, a time source lost. Its tick of a minute
        // leaves the lease to the instance on time, which judges the wave the other one started.
        Clock behind = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-10));
        try (PgfleetServer late = PgfleetServer.start(TestServers.settings(database).withRollouts(TestServers
                .settings(database).rollouts().withLease(Duration.ofSeconds(120)).withTick(Duration.ofSeconds(60))
                .withInstance("late")), behind);
             PgfleetServer onTime = start("on-time")) {
            RolloutFleet viaLate = new RolloutFleet(late.port(), ApiClient.asAdmin(late.port()));
            RolloutFleet viaOnTime = new RolloutFleet(onTime.port(), ApiClient.asAdmin(onTime.port()));
            viaLate.group("skew", "{\"suite\":\"skew\"}");
            RolloutFleet.Member canary = viaLate.seen("skew-canary", "{\"suite\":\"skew\",\"canary\":\"true\"}");
            List<RolloutFleet.Member> rest = List.of(viaLate.seen("skew-a", "{\"suite\":\"skew\"}"));

            long id = viaLate.start("group/skew", "[collector]\npush_interval = 20\n", WAVES, 0, 300);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!leaseHolder().equals("on-time")) {
                assertTrue(System.nanoTime() < deadline, "the instance on time takes the lease");
                Thread.sleep(50); // polling interval of a condition with a deadline
            }
            Thread.sleep(1_000); // ten of its ticks: a wave it took for late would have been rolled back by now
            JsonObject waiting = viaOnTime.rollout(id);
            assertEquals("running", waiting.getString("state"), "the canary has 300 s to apply: " + waiting);
            assertEquals(1, waiting.getInt("current_wave"));

            canary.applied();
            viaOnTime.awaitWave(id, 2);
            rest.forEach(RolloutFleet.Member::applied);
            assertEquals("on-time", viaOnTime.awaitState(id, "completed").getString("driver"));
        }
    }

    @Test
    void aRolloutGoesOnAfterItsServerRestarts() {
        long id;
        RolloutFleet.Member canary;
        List<RolloutFleet.Member> rest;
        try (PgfleetServer first = start("before-restart")) {
            RolloutFleet fleet = new RolloutFleet(first.port(), ApiClient.asAdmin(first.port()));
            fleet.group("restart", "{\"suite\":\"restart\"}");
            canary = fleet.seen("restart-canary", "{\"suite\":\"restart\",\"canary\":\"true\"}");
            rest = List.of(fleet.seen("restart-a", "{\"suite\":\"restart\"}"));
            id = fleet.start("group/restart", "[collector]\npush_interval = 20\n", WAVES, 0, 60);
            assertEquals(1, fleet.rollout(id).getInt("current_wave"));
        }
        try (PgfleetServer second = start("after-restart")) {
            RolloutFleet fleet = new RolloutFleet(second.port(), ApiClient.asAdmin(second.port()));
            RolloutFleet.Member canaryNow = fleet.new Member(new ApiClient(second.port()), canary.id);
            canaryNow.client.useToken(canary.client.token());
            canaryNow.applied();
            fleet.awaitWave(id, 2);
            RolloutFleet.Member other = fleet.new Member(new ApiClient(second.port()), rest.get(0).id);
            other.client.useToken(rest.get(0).client.token());
            other.applied();
            JsonObject done = fleet.awaitState(id, "completed");
            assertEquals("after-restart", done.getString("driver"), "the restarted server took over at once");
        }
    }
}
