package io.pgfleet.json;

import io.pgfleet.domain.fleet.HostFacts;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostFactsJsonTest {

    private static final HostFacts FACTS = new HostFacts(1, "Linux 6.1.0 amd64", Optional.of(new HostFacts.PostgresFacts(
            "localhost", 5432, 170_002, List.of("pg_stat_statements"), List.of("app", "postgres"), true,
            Map.of("app", List.of("pg_stat_statements", "pgcrypto")))));

    private static JsonObject parse(String json) {
        return Json.createReader(new StringReader(json)).readObject();
    }

    @Test
    void whatIsWrittenReadsBackTheSame() {
        assertEquals(Optional.of(FACTS), HostFactsJson.read(parse(HostFactsJson.write(FACTS).toString())));
        HostFacts noPostgres = new HostFacts(3, "", Optional.empty());
        JsonObject written = HostFactsJson.write(noPostgres);
        assertEquals(JsonValue.NULL, written.get("postgres"));
        assertEquals(Optional.of(noPostgres), HostFactsJson.read(written));
    }

    @Test
    void nullIsNoFactsAndAMissingPostgresIsNone() {
        assertEquals(Optional.empty(), HostFactsJson.read(JsonValue.NULL));
        assertEquals(Optional.of(new HostFacts(1, "x", Optional.empty())),
                HostFactsJson.read(parse("{\"schema_version\":1,\"os\":\"x\"}")));
    }

    @Test
    void malformedFactsNameWhatIsWrong() {
        assertEquals("'facts' must be an object", refusal("[]"));
        assertEquals("'facts' needs the whole number 'schema_version'", refusal("{\"os\":\"x\"}"));
        assertEquals("'facts' needs the string 'os'", refusal("{\"schema_version\":1}"));
        assertEquals("'facts.postgres' must be an object or null", refusal("{\"schema_version\":1,\"os\":\"\",\"postgres\":1}"));
        assertEquals("facts.schema_version is 1..1000", refusal("{\"schema_version\":1001,\"os\":\"\"}"));
        // Not its low 64 bits, which are 1.
        assertEquals("'facts' needs the whole number 'schema_version'",
                refusal("{\"schema_version\":18446744073709551617,\"os\":\"\"}"));
    }

    @Test
    void listsBeyondTheirBoundsAreRefusedBeforeTheyAreCopied() {
        String databases = String.join(",", Collections.nCopies(HostFacts.MAX_DATABASES + 1, "\"d\""));
        String json = "{\"schema_version\":1,\"os\":\"\",\"postgres\":{\"host\":\"h\",\"port\":5432,"
                + "\"server_version_num\":170002,\"shared_preload_libraries\":[],\"databases\":[" + databases + "],"
                + "\"databases_truncated\":false,\"extensions\":{}}}";
        assertTrue(refusal(json).startsWith("'facts.postgres.databases' must be a list of at most "
                + HostFacts.MAX_DATABASES));
    }

    private static String refusal(String json) {
        JsonValue v = Json.createReader(new StringReader(json)).readValue();
        return assertThrows(IllegalArgumentException.class, () -> HostFactsJson.read(v)).getMessage();
    }
}
