package io.pgfleet.server;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.StringReader;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reading a collector's stored samples page by page when many of them share one timestamp: an
 * agent's run stamps every series it collects (hundreds of pg_stat_statements statements, each with
 * its labels) with the instant it ran. Read on with {@code since} set to a page's last {@code ts},
 * a page of samples that all share that instant was followed by the same page again, for ever;
 * the cursor ({@code after}, the answer's {@code next}) reads every sample once, in order, and ends.
 */
class SampleReadPagingIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final String STATEMENTS = "pg_stat_statements_calls_total";
    /** More pages than any read here needs: a read that still has a next page after these goes round in circles. */
    private static final int MAX_PAGES = 40;

    /** What a client paging through one read saw. */
    private record Read(List<JsonObject> samples, List<Integer> pages, String cursor) {
    }

    /** Follows {@code next} from a first page until an answer has none. */
    private static Read readAll(ApiClient client, String first) {
        List<JsonObject> samples = new ArrayList<>();
        List<Integer> pages = new ArrayList<>();
        String path = first;
        String cursor = null;
        while (path != null) {
            if (pages.size() == MAX_PAGES) {
                fail("still a next page after " + MAX_PAGES + " pages (" + samples.size() + " samples, pages of "
                        + pages + "): the paging does not end");
            }
            HttpResponse<String> r = client.get(path);
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            JsonObject body = json(r.body());
            List<JsonObject> page = body.getJsonArray("samples").getValuesAs(JsonObject.class);
            samples.addAll(page);
            pages.add(page.size());
            assertTrue(body.containsKey("next"), "the answer says whether a next page follows: " + body.keySet());
            JsonValue next = body.get("next");
            path = next.getValueType() == JsonValue.ValueType.NULL ? null : body.getString("next");
            if (path != null) {
                // The page relative to the request's own URL: right behind a proxy that adds a path prefix.
                assertEquals("<./" + path.substring(path.lastIndexOf('/', path.indexOf('?')) + 1) + ">; rel=\"next\"",
                        r.headers().firstValue("Link").orElse(""));
            } else {
                assertTrue(r.headers().firstValue("Link").isEmpty(), "no Link on the last page");
            }
            cursor = body.isNull("cursor") ? cursor : body.getString("cursor");
        }
        return new Read(samples, pages, cursor);
    }

    private static JsonObject json(String text) {
        try (JsonReader reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }

    /** A sample's identity in these tests: its series and time (every pushed sample here is a point of its own). */
    private static String key(JsonObject s) {
        return s.getString("name") + labels(s.getJsonObject("labels")) + "@" + s.getString("ts");
    }

    /** Labels as text with their keys in order: a stored sample's labels come back in an order of the server's. */
    private static String labels(JsonObject labels) {
        return new java.util.TreeMap<>(labels).toString();
    }

    private static String sample(String name, String labels, double value, Instant ts) {
        return "{\"name\":\"" + name + "\",\"labels\":" + labels + ",\"value\":" + value + ",\"ts\":\"" + ts + "\"}";
    }

    private static void push(ApiClient agent, String batchId, List<String> samples) {
        HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"" + batchId + "\",\"samples\":["
                + String.join(",", samples) + "]}");
        assertEquals(202, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"duplicate\":false"), r.body());
    }

    /** Every sample once, and oldest first, by name within one instant. */
    private static void assertEachOnceInOrder(Set<String> pushed, List<JsonObject> read) {
        Set<String> seen = new HashSet<>();
        for (JsonObject s : read) {
            assertTrue(seen.add(key(s)), "read twice: " + key(s));
        }
        assertEquals(pushed.size(), read.size(), "every sample read once");
        Set<String> missing = new HashSet<>(pushed);
        missing.removeAll(seen);
        assertEquals(Set.of(), missing, "none missing");
        for (int i = 1; i < read.size(); i++) {
            Instant before = Instant.parse(read.get(i - 1).getString("ts"));
            Instant at = Instant.parse(read.get(i).getString("ts"));
            assertFalse(at.isBefore(before), "oldest first, at " + i);
            if (at.equals(before)) {
                assertTrue(read.get(i - 1).getString("name").compareTo(read.get(i).getString("name")) <= 0,
                        "by name within one instant, at " + i);
            }
        }
    }

    private static Instant anInstant() {
        // Recent (within retention), to the microsecond as stored.
        return Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.MICROS);
    }

    @Test
    void moreSamplesAtOneInstantThanAPageHoldsAreEachReadOnceInOrderAndThePagingEnds() {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"one-instant\"}");
        Instant t = anInstant();
        Set<String> pushed = new HashSet<>();
        // 3,000 statements at one instant, in three batches of 1,000 series (a batch names at most 1,000).
        for (int batch = 0; batch < 3; batch++) {
            List<String> samples = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int q = batch * 1000 + i;
                samples.add(sample(STATEMENTS, "{\"datname\":\"app\",\"queryid\":\"" + (1_000_000 + q) + "\"}", q, t));
            }
            push(agent, "statements-run-" + batch, samples);
        }
        // Around them: earlier and later instants, and names before and after theirs at the same one.
        List<String> around = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            around.add(sample("pg_up", "{\"db\":\"d" + i + "\"}", 1, t.minusSeconds(1)));
            around.add(sample("pg_up", "{\"db\":\"d" + i + "\"}", 1, t.plusSeconds(1)));
        }
        around.add(sample("pg_database_size_bytes", "{}", 7, t));
        around.add(sample("pg_stat_statements_max", "{}", 5000, t));
        push(agent, "around-the-run", around);
        for (int batch = 0; batch < 3; batch++) {
            for (int i = 0; i < 1000; i++) {
                pushed.add(STATEMENTS + labels(json("{\"datname\":\"app\",\"queryid\":\"" + (1_000_000 + batch * 1000 + i)
                        + "\"}")) + "@" + t);
            }
        }
        for (int i = 0; i < 5; i++) {
            pushed.add("pg_up" + labels(json("{\"db\":\"d" + i + "\"}")) + "@" + t.minusSeconds(1));
            pushed.add("pg_up" + labels(json("{\"db\":\"d" + i + "\"}")) + "@" + t.plusSeconds(1));
        }
        pushed.add("pg_database_size_bytes{}@" + t);
        pushed.add("pg_stat_statements_max{}@" + t);
        String base = "/api/v1/collectors/" + agent.subject() + "/metrics";

        Read all = readAll(SERVER.admin(), base + "?limit=700");
        assertEachOnceInOrder(pushed, all.samples());
        assertEquals(List.of(700, 700, 700, 700, 212), all.pages());

        // One metric: 3,000 samples in pages of 1,000, the last one full and the end of the read.
        Set<String> statements = new HashSet<>(pushed);
        statements.removeIf(k -> !k.startsWith(STATEMENTS + "{"));
        Read one = readAll(SERVER.admin(), base + "?name=" + STATEMENTS + "&limit=1000");
        assertEachOnceInOrder(statements, one.samples());
        assertEquals(List.of(1000, 1000, 1000), one.pages());

        // From an instant on (since), as before: the same read, from there.
        Set<String> later = new HashSet<>(pushed);
        later.removeIf(k -> k.endsWith("@" + t.minusSeconds(1)));
        Read since = readAll(SERVER.admin(), base + "?since=" + URLEncoder.encode(t.toString(), StandardCharsets.UTF_8)
                + "&limit=10000");
        assertEachOnceInOrder(later, since.samples());
        assertEquals(List.of(3007), since.pages());
    }

    @Test
    void aPageEndedByItsTextBoundInsideOneInstantIsReadOnFromWhereItEnded() {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"fat-instant\"}");
        Instant t = anInstant();
        // 1,100 samples of 5.3 KB of names and labels each (about 5.8 MB), all at one instant: more
        // than the 4 MiB a page holds. 45 a batch keeps each push under the body limit.
        StringBuilder common = new StringBuilder();
        for (int i = 1; i < 16; i++) {
            common.append(",\"k").append(i).append("_").append("x".repeat(58)).append("\":\"").append("v".repeat(256)).append('"');
        }
        Set<String> pushed = new HashSet<>();
        int stored = 0;
        for (int batch = 0; stored < 1100; batch++) {
            List<String> samples = new ArrayList<>();
            for (int i = 0; i < 45 && stored < 1100; i++, stored++) {
                String labels = "{\"k0\":\"" + "w".repeat(250) + String.format("%06d", stored) + "\"" + common + "}";
                samples.add(sample("fat", labels, stored, t));
                pushed.add("fat" + labels(json(labels)) + "@" + t);
            }
            push(agent, "fat-instant-" + batch, samples);
        }

        Read read = readAll(SERVER.admin(), "/api/v1/collectors/" + agent.subject() + "/metrics?limit=10000");

        assertEachOnceInOrder(pushed, read.samples());
        assertEquals(2, read.pages().size(), read.pages().toString());
        assertTrue(read.pages().getFirst() > 700 && read.pages().getFirst() < 1100,
                "the first page ends at 4 MiB, inside the instant: " + read.pages());
    }

    @Test
    void aBatchStoredTwiceIsReadTwiceOnceEach() throws Exception {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"late-retry\"}");
        Instant t = anInstant();
        List<String> samples = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            samples.add(sample("pg_up", "{\"db\":\"d" + i + "\"}", i, t));
        }
        push(agent, "retried-days-later", samples);
        // Batch ids are kept two days: the same batch sent again after that is stored again, the same
        // samples under the same id (docs/operations.md). Retention's purge of the id, done here at once.
        try (Connection c = SERVER.database().connect(); Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM sample_batches WHERE batch_id = 'retried-days-later'");
        }
        push(agent, "retried-days-later", samples);

        for (int limit : new int[] {1, 2, 3, 10}) {
            Read read = readAll(SERVER.admin(), "/api/v1/collectors/" + agent.subject() + "/metrics?limit=" + limit);
            List<String> keys = read.samples().stream().map(SampleReadPagingIT::key).sorted().toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String k = "pg_up" + labels(json("{\"db\":\"d" + i + "\"}")) + "@" + t;
                expected.add(k);
                expected.add(k);
            }
            assertEquals(expected.stream().sorted().toList(), keys, "limit " + limit + ": both copies, each once");
        }
    }

    @Test
    void theLastPagesCursorReadsWhatIsStoredAfterwards() {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"tail\"}");
        Instant t = anInstant();
        push(agent, "tail-first-run", List.of(sample("pg_up", "{}", 1, t), sample("pg_up", "{\"db\":\"a\"}", 1, t)));
        String base = "/api/v1/collectors/" + agent.subject() + "/metrics";
        Read first = readAll(SERVER.admin(), base);
        assertEquals(2, first.samples().size());
        assertNotNull(first.cursor(), "the last page says where it ended");

        // Nothing new: an empty page that says where to read on from, the same place.
        JsonObject none = json(SERVER.admin().get(base + "?after=" + first.cursor()).body());
        assertEquals(0, none.getJsonArray("samples").size());
        assertTrue(none.isNull("next"));
        assertEquals(first.cursor(), none.getString("cursor"));

        push(agent, "tail-second-run", List.of(sample("pg_up", "{}", 2, t.plusSeconds(10))));
        Read then = readAll(SERVER.admin(), base + "?after=" + first.cursor());
        assertEquals(List.of("pg_up{}@" + t.plusSeconds(10)), then.samples().stream().map(SampleReadPagingIT::key).toList());

        // Without a sample there is no place to name.
        ApiClient quiet = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"quiet\"}");
        JsonObject empty = json(SERVER.admin().get("/api/v1/collectors/" + quiet.subject() + "/metrics").body());
        assertTrue(empty.isNull("cursor"));
        assertTrue(empty.isNull("next"));
    }

    private static String cursorOf(ApiClient client, String path) {
        HttpResponse<String> r = client.get(path);
        assertEquals(200, r.statusCode(), r.body());
        JsonObject body = json(r.body());
        assertFalse(body.isNull("cursor"), r.body());
        return body.getString("cursor");
    }

    private static String forge(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertRefused(ApiClient client, String path, String mentions) {
        HttpResponse<String> r = client.get(path);
        assertEquals(400, r.statusCode(), path + ": " + r.body());
        assertTrue(r.body().contains("'after'"), "names the parameter: " + r.body());
        assertTrue(r.body().contains(mentions), mentions + ": " + r.body());
    }

    @Test
    void aMalformedForgedOrAnotherReadsCursorIsA400NamingAfter() {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"cursor-owner\"}");
        Instant t = anInstant();
        push(agent, "cursor-owner-run", List.of(sample("pg_up", "{}", 1, t), sample("pg_up", "{\"db\":\"a\"}", 1, t),
                sample("pg_stat_statements_max", "{}", 1, t)));
        String base = "/api/v1/collectors/" + agent.subject() + "/metrics";
        String cursor = cursorOf(SERVER.admin(), base + "?name=pg_up&limit=1");
        String[] fields = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(",", -1);
        assertEquals(7, fields.length, String.join(",", fields));

        List<String> malformed = new ArrayList<>(List.of("x", "%21%21%21%21", "a".repeat(2000), forge("garbage"),
                forge(""), forge(String.join(",", fields) + ",extra"), forge("\u0000\u0001\u0002")));
        // Each field of a real cursor made wrong in turn: none may reach the database as it is.
        String[][] wrong = {
                {"2", "", "-1", "1,"},
                {"", "no/such id", "x".repeat(65)},
                {"", "abc", "1e3", "99999999999999999999", "253402300800000000", "-62135596800000001"},
                {"", "bad name", "pg_up\u0000", "9starts_with_a_digit", "m".repeat(129)},
                {"", "short", "bad batch id!", "b".repeat(65)},
                {"", "zz", "0".repeat(63), "G".repeat(64), "A".repeat(64)},
                {"", "0", "-1", "abc", "2147483648"}};
        for (int field = 0; field < wrong.length; field++) {
            for (String value : wrong[field]) {
                String[] f = fields.clone();
                f[field] = value;
                malformed.add(forge(String.join(",", f)));
            }
        }
        for (String after : malformed) {
            assertRefused(SERVER.admin(), base + "?after=" + after, "not a cursor");
        }
        assertRefused(SERVER.admin(), base + "?after=" + cursor + "&after=" + cursor, "given 2 times");

        // A cursor of one metric's read does not read on another's.
        assertRefused(SERVER.admin(), base + "?name=pg_stat_statements_max&after=" + cursor, "pg_up");
        // Nor another collector's samples, whoever asks.
        ApiClient other = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"cursor-other\"}");
        push(other, "cursor-other-run", List.of(sample("pg_up", "{}", 2, t)));
        String otherBase = "/api/v1/collectors/" + other.subject() + "/metrics";
        assertRefused(SERVER.admin(), otherBase + "?after=" + cursor, "another collector");
        // The real cursor still reads on: pg_up's second sample.
        JsonObject on = json(SERVER.admin().get(base + "?name=pg_up&after=" + cursor).body());
        assertEquals(1, on.getJsonArray("samples").size(), on.toString());
        assertTrue(on.isNull("next"));
    }

    @Test
    void aCursorNeverWidensWhatItsCallerMayRead() {
        ApiClient a = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"reader-a\"}");
        ApiClient b = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"reader-b\"}");
        Instant t = anInstant();
        push(a, "reader-a-run", List.of(sample("pg_up", "{}", 1, t), sample("pg_up", "{\"db\":\"a\"}", 1, t)));
        push(b, "reader-b-run", List.of(sample("pg_up", "{}", 2, t), sample("pg_up", "{\"db\":\"b\"}", 2, t)));
        ApiClient viewer = SERVER.newUser("paging-viewer", "viewer");
        String aBase = "/api/v1/collectors/" + a.subject() + "/metrics";
        String bBase = "/api/v1/collectors/" + b.subject() + "/metrics";
        String aCursor = cursorOf(viewer, aBase + "?limit=1");
        String bCursor = cursorOf(viewer, bBase + "?limit=1");

        // Collectors push samples and read none (viewer+), with a cursor or without.
        for (String path : List.of(aBase, aBase + "?after=" + aCursor, bBase + "?after=" + bCursor,
                bBase + "?after=" + aCursor)) {
            assertEquals(403, a.get(path).statusCode(), path);
        }
        // A viewer reads any collector's, each with a cursor of that collector's read.
        assertRefused(viewer, aBase + "?after=" + bCursor, "another collector");
        Read rest = readAll(viewer, bBase + "?after=" + bCursor);
        assertEquals(1, rest.samples().size());
        assertEquals(2.0, rest.samples().getFirst().getJsonNumber("value").doubleValue());
    }
}
