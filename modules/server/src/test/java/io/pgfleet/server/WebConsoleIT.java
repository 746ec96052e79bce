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

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder to(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + SERVER.port() + path));
    }

    @Test
    void aConsoleFileAskedWithAnotherMethodIs405NamingGetAndHeadAsAnApiPathIs() throws Exception {
        // What the API answers a method a path does not take: the same status, type and Allow.
        HttpResponse<String> api = send(to("/api/v1/openapi.json").method("DELETE", HttpRequest.BodyPublishers.noBody()));
        assertEquals(405, api.statusCode(), api.body());
        assertTrue(api.body().contains("/problems/method-not-allowed"), api.body());
        for (String path : List.of("/ui/", "/ui/index.html", "/ui/console.js", "/ui/vendor/codemirror/lib/codemirror.js",
                "/ui/vendor/uplot/dist/uPlot.iife.min.js")) {
            for (String method : List.of("POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH")) {
                HttpResponse<String> r = send(to(path).method(method, HttpRequest.BodyPublishers.noBody()));
                assertEquals(405, r.statusCode(), method + " " + path + ": " + r.body());
                assertEquals("GET, HEAD", header(r, "Allow"), method + " " + path);
                assertEquals("application/problem+json", header(r, "Content-Type"), method + " " + path);
                assertTrue(r.body().contains("/problems/method-not-allowed") && r.body().contains("takes GET, HEAD"),
                        method + " " + path + ": " + r.body());
                assertFalse(header(r, "Content-Security-Policy").isEmpty(), "still a console answer");
            }
        }
        // A path the console has no file for is still not there, whatever the method.
        HttpResponse<String> missing = send(to("/ui/nope.js").method("POST", HttpRequest.BodyPublishers.noBody()));
        assertEquals(404, missing.statusCode(), missing.body());
        assertTrue(missing.body().contains("/problems/no-such-endpoint"), missing.body());
        assertEquals(404, send(to("/ui/vendor/codemirror/lib/").method("PUT", HttpRequest.BodyPublishers.noBody())).statusCode(),
                "a folder is no file");
    }

    @Test
    void ifNoneMatchIsAListAsRfc9110HasItWithStarAndWeakTags() throws Exception {
        String etag = header(get("/ui/console.js"), "ETag");
        assertFalse(etag.isEmpty());
        // A cache that holds several copies sends all their tags: one of them is current.
        for (String value : List.of("\"x\", " + etag, etag + ", \"x\"", "\"x\"," + etag, "W/" + etag, "\"x\", W/" + etag, "*")) {
            HttpResponse<String> r = send(to("/ui/console.js").header("If-None-Match", value));
            assertEquals(304, r.statusCode(), "If-None-Match: " + value + " -> " + r.body());
            assertEquals("", r.body());
        }
        // The same list on two field lines.
        HttpResponse<String> lines = send(to("/ui/console.js").header("If-None-Match", "\"x\"").header("If-None-Match", etag));
        assertEquals(304, lines.statusCode(), lines.body());
        // None of them current: the file.
        HttpResponse<String> other = send(to("/ui/console.js").header("If-None-Match", "\"x\", W/\"y\""));
        assertEquals(200, other.statusCode());
        assertTrue(other.body().length() > 1000);
        // Not a list of entity tags: a 400 naming the header, as the API answers it.
        HttpResponse<String> malformed = send(to("/ui/console.js").header("If-None-Match", "garbage"));
        assertEquals(400, malformed.statusCode(), malformed.body());
        assertTrue(malformed.body().contains("/problems/bad-request") && malformed.body().contains("If-None-Match"), malformed.body());
        HttpResponse<String> head = send(to("/ui/console.js").header("If-None-Match", "garbage")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(400, head.statusCode());
        assertEquals("", head.body());
    }

    @Test
    void aFailedPreconditionAndAnUnsatisfiableRangeAreProblemsOfTheirOwnType() throws Exception {
        String etag = header(get("/ui/console.js"), "ETag");
        for (String value : List.of("\"other\"", "W/" + etag)) {
            // If-Match compares strongly: a weak tag never matches.
            HttpResponse<String> r = send(to("/ui/console.js").header("If-Match", value));
            assertEquals(412, r.statusCode(), "If-Match: " + value + " -> " + r.body());
            assertTrue(r.body().contains("/problems/precondition-failed") && r.body().contains("\"status\":412"), r.body());
        }
        HttpResponse<String> unmodified = send(to("/ui/console.js").header("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"));
        assertEquals(412, unmodified.statusCode(), unmodified.body());
        assertTrue(unmodified.body().contains("/problems/precondition-failed"), unmodified.body());
        for (String value : List.of(etag, "\"other\", " + etag, "*")) {
            assertEquals(200, send(to("/ui/console.js").header("If-Match", value)).statusCode(), "If-Match: " + value);
        }
        // Not an entity tag at all: malformed, as the API answers it, not a failed comparison.
        HttpResponse<String> garbage = send(to("/ui/console.js").header("If-Match", "garbage"));
        assertEquals(400, garbage.statusCode(), garbage.body());
        assertTrue(garbage.body().contains("/problems/bad-request") && garbage.body().contains("If-Match"), garbage.body());

        HttpResponse<String> range = send(to("/ui/console.js").header("Range", "bytes=5-1"));
        assertEquals(416, range.statusCode(), range.body());
        assertTrue(range.body().contains("/problems/range-not-satisfiable") && range.body().contains("\"status\":416")
                && range.body().contains("bytes=5-1"), range.body());
        assertEquals(206, send(to("/ui/console.js").header("Range", "bytes=1-5")).statusCode());
    }

    @Test
    void anUnsatisfiableRangeSaysHowLongTheFileIs() throws Exception {
        HttpResponse<byte[]> whole = HttpClient.newHttpClient().send(to("/ui/console.js").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        long length = whole.body().length;
        assertTrue(length > 1000);
        // RFC 9110 §14.4 and §15.5.17: "bytes */" and the file's full length, so a client can ask a range it has.
        for (String value : List.of("bytes=5-1", "bytes=" + length + "-", "bytes=" + (length + 10) + "-" + (length + 20))) {
            HttpResponse<String> get = send(to("/ui/console.js").header("Range", value));
            assertEquals(416, get.statusCode(), value + " -> " + get.body());
            assertEquals("bytes */" + length, header(get, "Content-Range"), value);
            assertTrue(get.body().contains("/problems/range-not-satisfiable"), get.body());
        }
        // Range is for GET only (RFC 9110 §14.2): HEAD answers as the whole file's GET.
        assertEquals(200, send(to("/ui/console.js").header("Range", "bytes=5-1").method("HEAD", HttpRequest.BodyPublishers.noBody()))
                .statusCode());
        // The welcome file too, at its folder's path.
        long page = HttpClient.newHttpClient().send(to("/ui/").build(), HttpResponse.BodyHandlers.ofByteArray()).body().length;
        assertEquals("bytes */" + page, header(send(to("/ui/").header("Range", "bytes=5-1")), "Content-Range"));
        // A range it has is still a 206 with the range's own Content-Range.
        HttpResponse<String> part = send(to("/ui/console.js").header("Range", "bytes=1-5"));
        assertEquals(206, part.statusCode());
        assertEquals("bytes 1-5/" + length, header(part, "Content-Range"));
    }

    @Test
    void preconditionsAreEvaluatedInRfc9110Order() throws Exception {
        HttpResponse<String> current = get("/ui/console.js");
        String etag = header(current, "ETag");
        String lastModified = header(current, "Last-Modified");
        assertFalse(etag.isEmpty() || lastModified.isEmpty(), "the console's files carry ETag and Last-Modified");
        String past = "Thu, 01 Jan 1970 00:00:00 GMT";
        String future = "Thu, 01 Jan 2099 00:00:00 GMT";
        // If-Match first: when it fails the answer is 412, whatever If-None-Match says (it was 304).
        HttpResponse<String> staleMatch = send(to("/ui/console.js").header("If-Match", "\"other\"").header("If-None-Match", etag));
        assertEquals(412, staleMatch.statusCode(), staleMatch.body());
        assertTrue(staleMatch.body().contains("/problems/precondition-failed"), staleMatch.body());
        // If-Unmodified-Since next (without If-Match): before If-None-Match and If-Modified-Since.
        assertEquals(412, send(to("/ui/console.js").header("If-Unmodified-Since", past).header("If-None-Match", etag)).statusCode());
        assertEquals(412, send(to("/ui/console.js").header("If-Unmodified-Since", past).header("If-Modified-Since", future))
                .statusCode());
        // With If-Match, If-Unmodified-Since is not evaluated: a matching If-Match serves the file.
        assertEquals(200, send(to("/ui/console.js").header("If-Match", etag).header("If-Unmodified-Since", past)).statusCode());
        // Both hold, and If-None-Match matches: 304, with the file's ETag.
        HttpResponse<String> notModified = send(to("/ui/console.js").header("If-Match", etag).header("If-None-Match", etag));
        assertEquals(304, notModified.statusCode(), notModified.body());
        assertEquals(etag, header(notModified, "ETag"));
        // With If-None-Match, If-Modified-Since is not evaluated: a tag that is not current serves the file.
        HttpResponse<String> changed = send(to("/ui/console.js").header("If-None-Match", "\"other\"").header("If-Modified-Since", future));
        assertEquals(200, changed.statusCode());
        assertEquals(current.body(), changed.body());
        // A copy dated as the file (Last-Modified has whole seconds, the file's time may not) is current,
        // and the file is not modified since it: both at the second.
        assertEquals(304, send(to("/ui/console.js").header("If-Modified-Since", lastModified)).statusCode());
        assertEquals(200, send(to("/ui/console.js").header("If-Unmodified-Since", lastModified)).statusCode());
        // HEAD is answered alike, without a body.
        HttpResponse<String> head = send(to("/ui/console.js").header("If-Match", "\"other\"").header("If-None-Match", etag)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertEquals(412, head.statusCode());
        assertEquals("", head.body());
        // A range of a file whose preconditions held.
        HttpResponse<String> range = send(to("/ui/console.js").header("If-Match", etag).header("If-Unmodified-Since", past)
                .header("Range", "bytes=0-9"));
        assertEquals(206, range.statusCode());
        assertEquals(10, range.body().length());
    }

    @Test
    void aRangeWhoseIfRangeNamesAnotherVersionIsAnsweredWithTheWholeFile() throws Exception {
        HttpResponse<String> current = get("/ui/console.js");
        String etag = header(current, "ETag");
        String lastModified = header(current, "Last-Modified");
        // RFC 9110 §13.1.5: a client holding part of another version asks for the rest "if it is still
        // that version"; a 206 of this version would be spliced onto the other's first bytes.
        for (String stale : List.of("\"other\"", "W/" + etag, "Thu, 01 Jan 1970 00:00:00 GMT")) {
            HttpResponse<String> whole = send(to("/ui/console.js").header("Range", "bytes=0-9").header("If-Range", stale));
            assertEquals(200, whole.statusCode(), stale);
            assertEquals(current.body(), whole.body(), stale);
            assertTrue(header(whole, "Content-Range").isEmpty(), stale);
        }
        // The version it holds: the range.
        for (String same : List.of(etag, lastModified)) {
            HttpResponse<String> part = send(to("/ui/console.js").header("Range", "bytes=0-9").header("If-Range", same));
            assertEquals(206, part.statusCode(), same);
            assertEquals(current.body().substring(0, 10), part.body(), same);
        }
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
