package io.pgfleet.adapter.in.http;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.StringReader;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The request log line, in both formats (PGFLEET_LOG_FORMAT=json or not). */
class RequestLogTest {

    @Test
    void jsonLinesAreOneObjectWithEveryField() {
        String line = new RequestLog(true).line("PUT", "/api/v1/config/{id}", 412, 2_500, "ops\"lead", "trace-1");
        JsonObject o = Json.createReader(new StringReader(line)).readObject();
        assertEquals("request", o.getString("event"));
        assertEquals("PUT", o.getString("method"));
        assertEquals("/api/v1/config/{id}", o.getString("route"));
        assertEquals(412, o.getInt("status"));
        assertEquals(2.5, o.getJsonNumber("duration_ms").doubleValue());
        assertEquals("ops\"lead", o.getString("principal"));
        assertEquals("trace-1", o.getString("request_id"));
    }

    @Test
    void textLinesReadAsWords() {
        assertEquals("GET /api/v1/collectors 200 1.25 ms principal=admin request_id=r-2",
                new RequestLog(false).line("GET", "/api/v1/collectors", 200, 1_250, "admin", "r-2"));
    }

    @Test
    void madeUpIdsAreRandomVersionFourUuids() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = RequestLog.newId();
            java.util.UUID parsed = java.util.UUID.fromString(id);
            assertEquals(4, parsed.version(), id);
            assertEquals(2, parsed.variant(), id);
            assertEquals(36, id.length(), id);
            seen.add(id);
        }
        assertEquals(1000, seen.size());
    }
}
