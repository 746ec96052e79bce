package io.pgfleet.server;

import io.pgfleet.application.port.in.ResetAdministratorPasswordUseCase;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A database whose clock is ten minutes behind the hosts' (its host resumed with a stale clock, its
 * time source lost): what the server measures from a time the database gave (a version's publish, a
 * notification's sending) to now is measured on the database's clock, not the host's, and what the
 * host command writes bears the database's time, among the servers' entries.
 *
 * <p>The database's clock is set back for every session of the test database: {@code now()} and
 * {@code clock_timestamp()} of a schema searched before {@code pg_catalog} answer ten minutes
 * earlier, in the statements of the server and of its migrations alike.
 */
class DatabaseClockBehindIT {

    private static final Duration SKEW = Duration.ofMinutes(10);

    private static TestDatabase database;
    private static PgfleetServer server;

    @BeforeAll
    static void start() throws Exception {
        database = TestPostgres.newDatabase();
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA stale_clock");
            s.execute("CREATE FUNCTION stale_clock.clock_timestamp() RETURNS timestamptz LANGUAGE sql VOLATILE"
                    + " AS $$ SELECT pg_catalog.clock_timestamp() - interval '" + SKEW.toSeconds() + " seconds' $$");
            s.execute("CREATE FUNCTION stale_clock.now() RETURNS timestamptz LANGUAGE sql STABLE"
                    + " AS $$ SELECT pg_catalog.now() - interval '" + SKEW.toSeconds() + " seconds' $$");
            s.execute("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public, stale_clock, pg_catalog',"
                    + " current_database()); END $$");
        }
        assertTrue(Duration.between(databaseNow(), Instant.now()).compareTo(SKEW.minusMinutes(1)) > 0,
                "the database's clock is behind for new sessions");
        server = PgfleetServer.start(TestServers.settings(database));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aWatchAndTheListenConnectionMeasureThePublishFromTheDatabasesTime() throws Exception {
        ApiClient admin = ApiClient.asAdmin(server.port());
        ApiClient agent = ApiClient.registeredCollector(server.port(), "{\"name\":\"stale-database\"}");
        String id = agent.subject();
        assertEquals(201, admin.putToml("/api/v1/config/" + id, Documents.aDocument().pushInterval(30).toml()).statusCode());
        double watchesBefore = series(scrape(), "pgfleet_publish_to_watch_answer_seconds_count");
        double lagsBefore = series(scrape(), "pgfleet_listen_notification_lag_seconds_count");

        CompletableFuture<HttpResponse<String>> watch = CompletableFuture.supplyAsync(
                () -> agent.get("/api/v1/config/" + id + "?after=1&wait=60"));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (series(scrape(), "pgfleet_watches_held") < 1) {
            assertTrue(System.nanoTime() < deadline, "the watch was never held");
            Thread.sleep(20); // polling interval of a condition with a deadline
        }
        assertEquals(201, admin.putToml("/api/v1/config/" + id, Documents.aDocument().pushInterval(31).toml()).statusCode());
        assertEquals(200, watch.get().statusCode());

        // Published while the watch was held, so it is measured (by the host's clock it was published
        // ten minutes before the watch began), and it took seconds at most.
        String text = scrape();
        assertEquals(watchesBefore + 1, series(text, "pgfleet_publish_to_watch_answer_seconds_count"), text);
        assertEquals(series(text, "pgfleet_publish_to_watch_answer_seconds_count"),
                series(text, "pgfleet_publish_to_watch_answer_seconds_bucket{le=\"30.0\"}"), text);
        // The publish's notification, heard on the LISTEN connection's own thread: seconds at most too,
        // not the ten minutes between the clocks. That thread records the lag while this one scrapes,
        // and a timer counts an observation before it files it in its bucket: a scrape between the two
        // shows one more in the count than at 30 s, for a moment. So every lag is at most 30 s once the
        // 30 s bucket holds as many as the count; a lag above it never gets there, and fails here.
        while (series(text, "pgfleet_listen_notification_lag_seconds_count") <= lagsBefore
                || series(text, "pgfleet_listen_notification_lag_seconds_bucket{le=\"30.0\"}")
                < series(text, "pgfleet_listen_notification_lag_seconds_count")) {
            assertTrue(System.nanoTime() < deadline, (series(text, "pgfleet_listen_notification_lag_seconds_count")
                    <= lagsBefore ? "the publish was never heard:\n" : "a notification's lag was above 30 s:\n") + text);
            Thread.sleep(20); // polling interval of a condition with a deadline
            text = scrape();
        }
    }

    @Test
    void aPasswordResetFromTheHostIsAuditedAtTheDatabasesTime() throws Exception {
        ApiClient admin = ApiClient.asAdmin(server.port());
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"rescuer\",\"password\":\"rescuer-password-1\",\"role\":\"admin\"}").statusCode());
        Instant before = databaseNow();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = AdminPasswordCommand.run(new String[] {"reset-admin-password", "--user", "rescuer", "--password-stdin"},
                Map.of("PGFLEET_DB_URL", database.url(), "PGFLEET_DB_USER", database.user(),
                        "PGFLEET_DB_PASSWORD", database.password()),
                new ByteArrayInputStream("rescuer-password-2\n".getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        Instant after = databaseNow();
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));

        Instant at;
        try (Connection c = database.connect();
             PreparedStatement s = c.prepareStatement("SELECT at FROM audit_log WHERE detail = ? ORDER BY id DESC LIMIT 1")) {
            s.setString(1, ResetAdministratorPasswordUseCase.AUDIT_DETAIL);
            try (ResultSet rs = s.executeQuery()) {
                assertTrue(rs.next(), "the reset is audited");
                at = rs.getTimestamp(1).toInstant();
            }
        }
        // Between the database's times before and after the command (a second's leeway for measuring
        // the clocks' difference), not ten minutes after them: the trail reads in the order things happened.
        assertTrue(!at.isBefore(before.minusSeconds(1)) && !at.isAfter(after.plusSeconds(1)),
                "audited at " + at + ", the command ran between " + before + " and " + after + " (database time)");
        assertEquals(200, new ApiClient(server.port()).login("rescuer", "rescuer-password-2").statusCode());
    }

    private static Instant databaseNow() throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        }
    }

    private static String scrape() {
        HttpResponse<String> m = new ApiClient(server.port()).get("/observe/metrics");
        assertEquals(200, m.statusCode());
        return m.body();
    }

    /** A series' value, 0 when the scrape does not have it. */
    private static double series(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.E+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
