package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The web console is served from the server itself, with its security headers, and ships in the jar. */
class WebConsoleIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + SERVER.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse("");
    }

    @Test
    void theConsoleIsServedAtUiWithAStrictPolicy() throws Exception {
        HttpResponse<String> bare = get("/ui");
        assertEquals(301, bare.statusCode());
        // Relative, so that it keeps a reverse proxy's path prefix (…/pgfleet/ui → …/pgfleet/ui/).
        assertEquals("ui/", header(bare, "Location"));

        HttpResponse<String> page = get("/ui/");
        assertEquals(200, page.statusCode());
        assertTrue(header(page, "Content-Type").startsWith("text/html"), header(page, "Content-Type"));
        assertTrue(page.body().contains("console.js"), page.body());
        String csp = header(page, "Content-Security-Policy");
        assertTrue(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
        assertFalse(csp.contains("unsafe-inline"), csp);
        assertEquals("DENY", header(page, "X-Frame-Options"));
        assertEquals("nosniff", header(page, "X-Content-Type-Options"));
        assertEquals("no-referrer", header(page, "Referrer-Policy"));
    }

    @Test
    void theLibrariesComeFromTheServerWithTheirTypes() throws Exception {
        for (String path : List.of("/ui/console.js", "/ui/vendor/codemirror/lib/codemirror.js",
                "/ui/vendor/codemirror/mode/toml/toml.js", "/ui/vendor/codemirror/addon/lint/lint.js",
                "/ui/vendor/uplot/dist/uPlot.iife.min.js")) {
            HttpResponse<String> r = get(path);
            assertEquals(200, r.statusCode(), path);
            assertTrue(header(r, "Content-Type").contains("javascript"), path + ": " + header(r, "Content-Type"));
            assertFalse(header(r, "Content-Security-Policy").isEmpty(), path);
        }
        assertTrue(header(get("/ui/console.css"), "Content-Type").startsWith("text/css"));
    }

    @Test
    void aBrowsersCachedCopyIsConfirmedWithNotModified() throws Exception {
        HttpResponse<String> first = get("/ui/console.js");
        String etag = header(first, "ETag");
        assertFalse(etag.isEmpty(), "the console's files carry an ETag");
        HttpResponse<String> again = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + SERVER.port() + "/ui/console.js")).header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(304, again.statusCode(), again.body());
        assertEquals("", again.body());
    }

    @Test
    void aConditionalDateThatIsNoDateIsABadRequestNotAServerFailure() throws Exception {
        // Helidon's static content failed to parse such a date and the console's file was answered 500.
        for (String name : List.of("If-Modified-Since", "If-Unmodified-Since")) {
            for (String value : List.of("garbage", "0", "Thu, 01 Jan 2099 00:00:00 GMT, Fri, 02 Jan 2099 00:00:00 GMT")) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + SERVER.port() + "/ui/console.js")).header(name, value).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(400, r.statusCode(), name + ": " + value + " -> " + r.body());
                assertTrue(r.body().contains("bad-request") && r.body().contains(name), r.body());
                assertFalse(header(r, "Content-Security-Policy").isEmpty(), "still a console answer");
                HttpResponse<String> head = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + SERVER.port() + "/ui/console.js")).header(name, value)
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(400, head.statusCode(), "HEAD " + name + ": " + value);
                assertEquals("", head.body(), "an answer to HEAD has no body");
            }
        }
        // A date that is one is still honoured.
        HttpResponse<String> later = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + SERVER.port() + "/ui/console.js"))
                .header("If-Modified-Since", "Thu, 01 Jan 2099 00:00:00 GMT").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(304, later.statusCode(), later.body());
    }

    @Test
    void nothingOutsideTheConsoleFilesIsServed() throws Exception {
        String policy = header(get("/ui/"), "Content-Security-Policy");
        for (String path : List.of("/ui/nope.js", "/ui/%2e%2e/%2e%2e/etc/passwd", "/ui/META-INF/MANIFEST.MF",
                "/ui/vendor/codemirror/%2e%2e/%2e%2e/%2e%2e/META-INF/MANIFEST.MF", "/ui/io/pgfleet/adapter/in/http/openapi.json")) {
            HttpResponse<String> missing = get(path);
            // A dot segment is refused before routing (400); anything else under /ui is simply not there.
            assertEquals(path.contains("%2e") ? 400 : 404, missing.statusCode(), path);
            // An answer under /ui that is not a file keeps the console's policy too.
            if (path.startsWith("/ui/") && !path.contains("%2e")) {
                assertEquals(policy, header(missing, "Content-Security-Policy"), path);
                assertEquals("nosniff", header(missing, "X-Content-Type-Options"), path);
            }
        }
        assertEquals(404, get("/").statusCode(), "the root stays as documented");
    }

    @Test
    void theShippedJarCarriesTheConsoleAndItsLibraries() throws Exception {
        String jar = System.getProperty("pgfleet.server.jar");
        assertNotNull(jar, "failsafe names the shaded jar");
        try (JarFile j = new JarFile(Path.of(jar).toFile())) {
            for (String entry : List.of("pgfleet-console/index.html", "pgfleet-console/console.js", "pgfleet-console/console.css",
                    "META-INF/maven/org.webjars.npm/codemirror/pom.properties", "META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
                assertNotNull(j.getEntry(entry), entry);
            }
        }
    }
}
