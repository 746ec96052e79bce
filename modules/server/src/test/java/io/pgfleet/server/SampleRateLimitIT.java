package io.pgfleet.server;

import io.pgfleet.domain.fleet.SampleRate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One collector flooding the push endpoint is refused {@code 429} once its allowance is used and
 * stores nothing of a refused batch, while another collector replays an hour-long outage's buffer
 * at the same time and has all of it accepted. With the default rate, over real HTTP and PostgreSQL.
 */
class SampleRateLimitIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    /**
     * A batch of {@code n} samples of one series a millisecond apart (a batch names each point once),
     * as compact as a flood would send them (≈ 55 bytes each).
     */
    private static String flood(String id, int n, Instant ts) {
        StringBuilder b = new StringBuilder("{\"batch_id\":\"" + id + "\",\"samples\":[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"name\":\"f\",\"value\":").append(i).append(",\"ts\":\"")
                    .append(ts.plusMillis(i)).append("\"}");
        }
        return b.append("]}").toString();
    }

    /** An agent's batch: 999 samples of the simulator's 55 series and its drop counter, 1,000 in all. */
    private static String agentBatch(String id, Instant ts) {
        StringBuilder b = new StringBuilder("{\"batch_id\":\"" + id + "\",\"samples\":[");
        for (int i = 0; i < 999; i++) {
            b.append("{\"name\":\"pg_stat_database_xact_commit\",\"labels\":{\"datname\":\"db").append(i % 55)
                    .append("\"},\"value\":").append(i).append(",\"ts\":\"").append(ts.plusMillis(i)).append("\"},");
        }
        return b.append("{\"name\":\"pgfleet_agent_dropped_samples_total\",\"value\":0,\"ts\":\"").append(ts)
                .append("\"}]}").toString();
    }

    @Test
    void aFloodIsRefusedWithRetryAfterAndStoresNothingOfTheRefusedBatchWhileAnotherAgentsBacklogIsAccepted()
            throws Exception {
        ApiClient flooder = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"flooder\"}");
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"back-from-an-outage\"}");
        Instant ts = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        SampleRate rate = SampleRate.defaults();

        // The other agent sends the whole default buffer (20,000 samples) at once, as after an hour-long outage.
        CompletableFuture<List<Integer>> replay = CompletableFuture.supplyAsync(() -> {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                statuses.add(agent.postJson("/api/v1/metrics/push", agentBatch("replay-" + String.format("%04d", i),
                        ts.minusSeconds(3600 - i * 180L))).statusCode());
            }
            return statuses;
        });

        int accepted = 0;
        HttpResponse<String> refused = null;
        String refusedId = "";
        long started = System.nanoTime();
        for (int i = 0; i < 30 && refused == null; i++) {
            String id = "flood-" + String.format("%04d", i);
            HttpResponse<String> r = flooder.postJson("/api/v1/metrics/push", flood(id, 3000, ts));
            if (r.statusCode() == 202) {
                accepted++;
            } else {
                assertEquals(429, r.statusCode(), r.body());
                refused = r;
                refusedId = id;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertTrue(refused != null, "the flood was refused within 90,000 samples");
        // The burst, and what refilled while the flood lasted.
        assertTrue(accepted >= rate.burst() / 3000, "accepted " + accepted + " batches of 3,000");
        assertTrue(accepted * 3000 <= rate.burst() + rate.perMinute() * seconds / 60 + 1,
                "accepted " + accepted + " batches of 3,000 in " + seconds + " s");
        assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""));
        assertTrue(refused.body().contains("/problems/sample-rate-exceeded"), refused.body());
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 30, "Retry-After " + retryAfter + ": 3,000 samples at 100 a second");
        assertTrue(refused.body().contains("\"retry_after_seconds\":" + retryAfter), refused.body());

        assertEquals(0, SERVER.database().count("SELECT count(*) FROM samples WHERE batch_id = ?", refusedId),
                "nothing of the refused batch");
        assertEquals(0, SERVER.database().count("SELECT count(*) FROM sample_batches WHERE batch_id = ?", refusedId),
                "not even its id: the agent's retry is a new push");
        assertEquals(accepted * 3000L, SERVER.database().count(
                "SELECT count(*) FROM samples WHERE collector_id = ?", flooder.subject()));

        assertEquals(List.of(202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202,
                202, 202), replay.get(), "the other agent's backlog, sent at the same time");
        assertEquals(20_000, SERVER.database().count("SELECT count(*) FROM samples WHERE collector_id = ?",
                agent.subject()));

        // A retry as soon as asked is still refused (a second of refill is not 3,000), a small batch not.
        assertEquals(429, flooder.postJson("/api/v1/metrics/push", flood(refusedId, 3000, ts)).statusCode());
        String metrics = new ApiClient(SERVER.port()).get("/observe/metrics").body();
        Matcher m = Pattern.compile("pgfleet_samples_refused_total\\{[^}]*reason=\"rate\"[^}]*} ([0-9.E]+)")
                .matcher(metrics);
        assertTrue(m.find(), "refused samples are counted");
        assertTrue(Double.parseDouble(m.group(1)) >= 6000, m.group());
        assertTrue(Pattern.compile("pgfleet_http_problems_total\\{[^}]*type=\"sample-rate-exceeded\"").matcher(metrics)
                .find(), "the refusals are counted as problems");
    }

    /**
     * Pushes {@code body} until it is answered otherwise than {@code status}; answers the refusals
     * counted and the last answer.
     */
    private static Map.Entry<Integer, HttpResponse<String>> untilNot(ApiClient c, int status, String body) {
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = c.postJson("/api/v1/metrics/push", body);
            if (r.statusCode() != status) {
                return Map.entry(i, r);
            }
        }
        throw new AssertionError("still " + status + " after 30 pushes of the same refused batch");
    }

    private static void tooManyRequests(HttpResponse<String> r) {
        assertEquals(429, r.statusCode(), r.body());
        assertTrue(r.body().contains("/problems/sample-rate-exceeded"), r.body());
        long retryAfter = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
    }

    @Test
    void refusedBatchesCostWhatReadingThemCostUntilTheCollectorIsAnsweredTooManyRequests() throws Exception {
        SampleRate rate = SampleRate.defaults();
        Instant ts = Instant.now().truncatedTo(ChronoUnit.SECONDS);

        // 4,000 samples naming one point: 422 repeated-sample, each read whole before it is refused.
        ApiClient repeats = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"repeats-itself\"}");
        StringBuilder b = new StringBuilder("{\"batch_id\":\"same-point\",\"samples\":[");
        for (int i = 0; i < 4000; i++) {
            b.append(i == 0 ? "" : ",").append("{\"name\":\"f\",\"value\":").append(i).append(",\"ts\":\"")
                    .append(ts).append("\"}");
        }
        Map.Entry<Integer, HttpResponse<String>> repeated = untilNot(repeats, 422, b.append("]}").toString());
        assertTrue(repeated.getKey() >= rate.burst() / 4000 && repeated.getKey() <= rate.burst() / 4000 + 2,
                repeated.getKey() + " refused batches of 4,000 samples before the allowance was spent");
        tooManyRequests(repeated.getValue());
        // Spent like a good batch's allowance: a good batch of the collector's waits as well.
        tooManyRequests(repeats.postJson("/api/v1/metrics/push", flood("good-after-refused", 3000, ts)));

        // 200,000 bytes that are not a batch: 400, charged one sample per 52 bytes (3,847).
        ApiClient garbled = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"sends-garbage\"}");
        String notABatch = "{\"batch_id\":\"garbage\",\"samples\":[" + "1,".repeat(99_990) + "1]}";
        Map.Entry<Integer, HttpResponse<String>> unread = untilNot(garbled, 400, notABatch);
        int cost = SampleRate.unreadCost(notABatch.length());
        assertTrue(unread.getKey() >= rate.burst() / cost && unread.getKey() <= rate.burst() / cost + 2,
                unread.getKey() + " unreadable batches of " + cost + " samples' worth before the allowance was spent");
        tooManyRequests(unread.getValue());
        assertEquals(0, SERVER.database().count("SELECT count(*) FROM samples WHERE collector_id IN (?, ?)",
                repeats.subject(), garbled.subject()));
    }

    @Test
    void aBatchNamingMoreThanAThousandSeriesIsRefusedWholeAndAThousandIsNot() throws Exception {
        ApiClient inventor = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"series-inventor\"}");
        Instant ts = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        HttpResponse<String> r = inventor.postJson("/api/v1/metrics/push", series("wide-0001", 1001, ts));
        assertEquals(422, r.statusCode(), r.body());
        assertTrue(r.body().contains("/problems/too-many-series"), r.body());
        assertEquals(0, SERVER.database().count("SELECT count(*) FROM samples WHERE collector_id = ?", inventor.subject()));
        assertEquals(202, inventor.postJson("/api/v1/metrics/push", series("wide-0002", 1000, ts)).statusCode());
    }

    @Test
    void theRateIsASettingOfEachInstanceAndTheSameCollectorHasItsOwnAllowanceOnEach() throws Exception {
        ServerSettings base = TestServers.settings(SERVER.database());
        // One sample a second, bursts of 5,000, on a second instance of the same database.
        try (PgfleetServer slow = PgfleetServer.start(base.withLimits(base.limits()
                .withSampleRate(new SampleRate(60, 5000))))) {
            ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"two-instances\"}");
            ApiClient viaSlow = new ApiClient(slow.port());
            viaSlow.useToken(agent.token());
            Instant ts = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            assertEquals(202, viaSlow.postJson("/api/v1/metrics/push", flood("slow-0001", 3000, ts)).statusCode());
            assertEquals(202, viaSlow.postJson("/api/v1/metrics/push", flood("slow-0002", 2000, ts)).statusCode());
            HttpResponse<String> refused = viaSlow.postJson("/api/v1/metrics/push", flood("slow-0003", 100, ts));
            assertEquals(429, refused.statusCode(), refused.body());
            long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(retryAfter >= 90 && retryAfter <= 100, "100 samples at one a second: " + retryAfter);
            assertTrue(refused.body().contains("60 a minute, bursts of 5000"), refused.body());
            assertEquals(202, agent.postJson("/api/v1/metrics/push", flood("slow-0003", 100, ts)).statusCode(),
                    "the other instance keeps an allowance of its own");
        }
    }

    private static String series(String id, int n, Instant ts) {
        StringBuilder b = new StringBuilder("{\"batch_id\":\"" + id + "\",\"samples\":[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"name\":\"s\",\"labels\":{\"k\":\"v").append(i)
                    .append("\"},\"value\":1,\"ts\":\"").append(ts).append("\"}");
        }
        return b.append("]}").toString();
    }
}
