package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A read of one collector's samples holds a bounded amount of text, whatever that collector put in
 * its labels: a compromised agent stored ten thousand samples of 16 labels of 256 characters each
 * (5 KB a sample, within every push rule), and each read of them with {@code limit=10000} (the
 * console's own) built a 52 MB answer: six at once ran the server's 512 MiB heap out of memory.
 */
class SampleReadSizeIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static final Pattern TS = Pattern.compile("\"ts\":\"([^\"]+)\"");

    @Test
    void aReadOfSamplesWithHugeLabelsEndsAtItsTextBoundOldestFirst() {
        ApiClient agent = ApiClient.registeredCollector(SERVER.port(), "{\"name\":\"fat-labels\"}");
        StringBuilder labels = new StringBuilder("{");
        for (int i = 0; i < 16; i++) {
            labels.append(i == 0 ? "" : ",").append("\"k").append(i).append("_").append("x".repeat(58)).append("\":\"")
                    .append("v".repeat(256)).append('"');
        }
        labels.append('}');
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        int stored = 0;
        for (int batch = 0; batch < 25; batch++) {
            List<String> samples = new ArrayList<>();
            for (int i = 0; i < 45; i++) {
                samples.add("{\"name\":\"fat\",\"labels\":" + labels + ",\"value\":1,\"ts\":\""
                        + start.plusSeconds(stored + i) + "\"}");
            }
            HttpResponse<String> r = agent.postJson("/api/v1/metrics/push", "{\"batch_id\":\"fat-batch-" + batch
                    + "\",\"samples\":[" + String.join(",", samples) + "]}");
            assertEquals(202, r.statusCode(), r.body());
            stored += samples.size();
        }
        // 1,125 samples of 5.3 KB of names and labels: about 6 MB, beyond the 4 MiB a read holds.
        HttpResponse<String> read = SERVER.admin().get("/api/v1/collectors/" + agent.subject()
                + "/metrics?since=2026-01-01T00:00:00Z&limit=10000");
        assertEquals(200, read.statusCode());
        List<String> ts = new ArrayList<>();
        Matcher m = TS.matcher(read.body());
        while (m.find()) {
            ts.add(m.group(1));
        }
        assertTrue(read.body().length() < 4.5 * 1024 * 1024, "at most 4 MiB of names and labels: "
                + read.body().length() + " characters, " + ts.size() + " of " + stored + " samples");
        assertTrue(ts.size() > 700 && ts.size() < stored, ts.size() + " of " + stored);
        assertEquals(start.toString(), ts.get(0), "oldest first");
        assertEquals(start.plusSeconds(ts.size() - 1).toString(), ts.get(ts.size() - 1), "the oldest that fit");

        // Read on from the last one answered: the rest.
        HttpResponse<String> rest = SERVER.admin().get("/api/v1/collectors/" + agent.subject() + "/metrics?since="
                + ts.get(ts.size() - 1) + "&limit=10000");
        Matcher more = TS.matcher(rest.body());
        int after = 0;
        while (more.find()) {
            after++;
        }
        assertEquals(stored - ts.size() + 1, after);

        // One sample is always answered, however large.
        HttpResponse<String> one = SERVER.admin().get("/api/v1/collectors/" + agent.subject()
                + "/metrics?since=2026-01-01T00:00:00Z&limit=1");
        assertTrue(one.body().contains("\"ts\":\"" + start + "\""), one.body().substring(0, 200));
    }
}
