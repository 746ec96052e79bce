package io.pgfleet.server;

import io.pgfleet.domain.fleet.Sample;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.StringReader;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a pushed batch may hold, over real HTTP and PostgreSQL: label keys of Prometheus's data
 * model, label values without the characters every other label in the product refuses, each point
 * (series and time) once. A batch that breaks a rule is {@code 422} naming the sample, and nothing
 * of it is stored, not even its id; samples stored before the rules are still read back.
 */
class SamplePushRulesIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final Instant TS = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);

    private static JsonObject sample(String name, Map<String, String> labels, double value, Instant ts) {
        JsonObjectBuilder l = Json.createObjectBuilder();
        labels.forEach(l::add);
        return Json.createObjectBuilder().add("name", name).add("labels", l).add("value", value).add("ts", ts.toString())
                .build();
    }

    private static String batch(String id, List<JsonObject> samples) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        samples.forEach(a::add);
        return Json.createObjectBuilder().add("batch_id", id).add("samples", a).build().toString();
    }

    private static JsonObject problem(HttpResponse<String> r, int status, String type) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/problem+json", r.headers().firstValue("Content-Type").orElse(""));
        JsonObject p = Json.createReader(new StringReader(r.body())).readObject();
        assertEquals("https://pgfleet.io/problems/" + type, p.getString("type"), r.body());
        assertTrue(p.getString("detail").contains("nothing of the batch was stored"), r.body());
        return p;
    }

    private static long stored(ApiClient agent) throws Exception {
        return SERVER.database().count("SELECT count(*) FROM samples WHERE collector_id = ?", agent.subject())
                + SERVER.database().count("SELECT count(*) FROM sample_batches WHERE collector_id = ?", agent.subject());
    }

    @Test
    void rejectsABatchWithALabelKeyOrValueOtherLabelsRefuseNamingTheSampleTheKeyAndTheRuleAndStoresNothing()
            throws Exception {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"label-rules\"}");
        JsonObject fine = sample("m_c", Map.of("db", "postgres"), 1, TS);
        for (String key : List.of("\u202e", "\u001b[2J", "a\nb", "\u2028", "\u0085", "\ufeff", "\ue000",
                "<img src=x onerror=alert(8)>", "__name__", "1st", "a-b")) {
            HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", batch("label-key-01",
                    List.of(fine, sample("m_c", Map.of(key, "v"), 1, TS))));
            JsonObject p = problem(r, 422, "invalid-sample-label");
            assertEquals(1, p.getInt("index"), r.body());
            assertEquals(key, p.getString("label"), r.body());
            assertTrue(p.getString("detail").startsWith("samples[1] has the label '")
                    && p.getString("detail").contains(Sample.LABEL_KEY_RULE), r.body());
        }
        for (String value : List.of("\u001b[2J", "a\nb", "a\tb", "x\u2028y", "\u0085", "ab\u202ec", "\u2066")) {
            HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", batch("label-value-01",
                    List.of(fine, sample("m_c", Map.of("db", "app"), 1, TS),
                            sample("m_c", Map.of("db", value), 1, TS))));
            JsonObject p = problem(r, 422, "invalid-sample-label");
            assertEquals(2, p.getInt("index"), r.body());
            assertEquals("db", p.getString("label"), r.body());
            assertTrue(p.getString("detail").contains(Sample.LABEL_VALUE_RULE), r.body());
            // The answer shows no character it refused: a terminal printing it acts on none.
            assertTrue(p.getString("detail").chars().noneMatch(c -> c == 0x1b || c == 0x202e || c == 0x2028), r.body());
        }
        assertEquals(0, stored(agent), "nothing of any refused batch, not even its id");

        // The same batch id with the labels set right is a new push, stored.
        HttpResponse<String> ok = agent.postJson("/api/v1/metrics/push", batch("label-value-01", List.of(fine,
                sample("m_c", Map.of("db", "<script>x</script> é"), 1, TS))));
        assertEquals(202, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("\"stored\":2"), ok.body());
    }

    @Test
    void rejectsABatchNamingOnePointTwiceNamingBothSamplesAndStoresNothing() throws Exception {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"repeated-points\"}");
        HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", batch("repeated-01", List.of(
                sample("m_dup", Map.of("a", "1", "b", "2"), 1, TS),
                sample("m_dup", Map.of("a", "1"), 1, TS),
                sample("m_dup", Map.of("b", "2", "a", "1"), 2, TS))));
        JsonObject p = problem(r, 422, "repeated-sample");
        assertEquals(List.of(0, 2), p.getJsonArray("indexes").getValuesAs(jakarta.json.JsonNumber.class).stream()
                .map(jakarta.json.JsonNumber::intValue).toList(), r.body());
        assertTrue(p.getString("detail").startsWith("samples[0] and samples[2] are the same series"), r.body());
        assertEquals(0, stored(agent), "nothing of the batch, not even its id");

        // One series at two times, and two series at one time, are points of their own.
        HttpResponse<String> ok = agent.postJson("/api/v1/metrics/push", batch("repeated-01", List.of(
                sample("m_dup", Map.of("a", "1"), 1, TS), sample("m_dup", Map.of("a", "1"), 2, TS.plusMillis(1)),
                sample("m_dup", Map.of("a", "2"), 3, TS))));
        assertEquals(202, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("\"stored\":3"), ok.body());
    }

    @Test
    void rejectsAMalformedSampleNamingItsPlaceInTheBatch() throws Exception {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"malformed-sample\"}");
        HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", batch("malformed-01", List.of(
                sample("m_ok", Map.of(), 1, TS), sample("m_ok", Map.of(), 1, TS.plusSeconds(1)),
                sample("bad name", Map.of(), 1, TS))));
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"detail\":\"samples[2]: a metric name is letters, digits, '_' or ':'"), r.body());
        assertEquals(0, stored(agent));
    }

    @Test
    void returnsSamplesStoredBeforeTheRulesAsTheyAre() throws Exception {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"earlier-release\"}");
        // As an earlier release stored them: any key, any value.
        try (Connection c = SERVER.database().connect(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO samples (collector_id, batch_id, name, labels, value, ts) VALUES (?, 'earlier-01', 'm_old', ?::jsonb, 1, ?)")) {
            ps.setString(1, agent.subject());
            ps.setString(2, Json.createObjectBuilder().add("\u202e", "a\u001bb").build().toString());
            ps.setTimestamp(3, Timestamp.from(TS));
            ps.executeUpdate();
        }
        HttpResponse<String> r = SERVER.admin().get("/api/v1/collectors/" + agent.subject() + "/metrics?name=m_old");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject labels = Json.createReader(new StringReader(r.body())).readObject().getJsonArray("samples")
                .getJsonObject(0).getJsonObject("labels");
        assertEquals("a\u001bb", labels.getString("\u202e"), r.body());
    }
}
