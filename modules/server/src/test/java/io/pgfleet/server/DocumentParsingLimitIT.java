package io.pgfleet.server;

import io.pgfleet.testing.ConfigCorpus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parsing a configuration document of the largest size takes up to seconds of one core and never
 * yields: a few dozen parallel dry runs from one viewer used to occupy every core, and the liveness
 * check waited 10–22 s. Parses are bounded (one at a time and one waiting here); a document beyond
 * that is answered {@code 429} at once, and the rest of the server keeps answering.
 */
class DocumentParsingLimitIT {

    private static final int REQUESTS = 16;

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(s -> s.withLimits(s.limits().withParsing(1, 1)));

    private static ApiClient admin;
    private static ApiClient viewer;

    @BeforeAll
    static void start() {
        admin = ApiClient.asAdmin(SERVER.port());
        assertEquals(201, admin.postJson("/api/v1/users",
                "{\"username\":\"parsing-viewer\",\"password\":\"a-long-viewer-password\",\"role\":\"viewer\"}").statusCode());
        viewer = new ApiClient(SERVER.port());
        assertEquals(200, viewer.login("parsing-viewer", "a-long-viewer-password").statusCode());
    }

    private static HttpResponse<String> validate(String toml) {
        return viewer.send(viewer.request("/api/v1/config/validate").header("Content-Type", "application/toml")
                .POST(HttpRequest.BodyPublishers.ofString(toml)));
    }

    private static double metric(String name) {
        String text = admin.get("/observe/metrics?name%5B%5D=" + name).body();
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*})? (\\S+)$").matcher(text);
        assertTrue(m.find(), name + " in " + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void largeValidationsBeyondTheParsingSlotsAndQueueAre429WhileLivenessIsAnswered() throws Exception {
        StringBuilder doc = new StringBuilder();
        for (int i = 0; doc.length() < 250 * 1024; i++) {
            doc.append('k').append(i).append(" = 1\n");
        }
        String large = doc.toString();
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < REQUESTS; i++) {
                answers.add(clients.submit(() -> {
                    go.await();
                    return validate(large);
                }));
            }
            go.countDown();
            // Not a timing assertion (a loaded machine is slow for everyone): the check is answered at all.
            assertEquals(200, new ApiClient(SERVER.port()).get("/observe/health/live").statusCode());
            int refused = 0;
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 429) {
                    refused++;
                    assertTrue(r.body().contains("\"type\":\"") && r.body().contains("overloaded"), r.body());
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), "Retry-After");
                } else {
                    assertEquals(422, r.statusCode(), "parsed and found invalid: " + r.body());
                }
            }
            assertTrue(refused > 0, "some of " + REQUESTS + " parallel documents are refused with one slot and one waiting");
            assertTrue(metric("pgfleet_document_parses_refused_total") >= refused, "the refusals are counted");
        }
        assertEquals(1.0, metric("pgfleet_document_parses_peak"), "never more than one document parsed at once");
        assertEquals(0.0, metric("pgfleet_document_parses_running"));
        assertEquals(200, validate(ConfigCorpus.VALID.getFirst()).statusCode(), "once the flood is over, documents are parsed again");
    }
}
