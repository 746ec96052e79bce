package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.staticcontent.StaticContentService;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BiConsumer;

/**
 * The web console: static files served at {@code /ui/} from the server jar, with the editor and
 * chart libraries from their WebJars under {@code /ui/vendor/}. The console is a client of the
 * public API like any other (it holds no server-side session and no handler of its own reads or
 * writes data), so its files are public and sit outside the API's route table; what they show comes
 * from API calls made with the user's token.
 *
 * <p>Every answer under {@code /ui} carries a Content-Security-Policy without {@code unsafe-inline}
 * or {@code unsafe-eval}: scripts and styles only from the console's own files, network calls only to
 * this origin, and no framing (clickjacking).
 *
 * <p>Nothing here or in the console's files names an absolute path: the page loads its files and
 * calls the API relative to its own URL, so it works unchanged under the path prefix of a reverse
 * proxy (docs/console.md).
 */
final class WebConsole {

    /** Where the console is served. */
    static final String PATH = "/ui";

    /**
     * The policy of every console answer. {@code form-action 'none'}: the console sends no forms, it
     * calls the API with {@code fetch}. {@code img-src data:}: uPlot and CodeMirror draw no remote images.
     */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
            + " img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none';"
            + " frame-ancestors 'none'";

    /** The methods a console file takes. */
    static final List<String> METHODS = List.of("GET", "HEAD");

    /** The console's own files: a folder name that is not a package, so the module does not hide it. */
    private static final String ROOT = "pgfleet-console";

    /** The file served at {@code /ui/}. */
    private static final String WELCOME = "index.html";

    private WebConsole() {
    }

    /**
     * Serves the console and its libraries, and adds the security headers to every console answer.
     *
     * @param routing the server's routing
     */
    static void register(HttpRouting.Builder routing) {
        routing.addFilter(WebConsole::securityHeaders)
                .get(PATH, (req, res) -> {
                    res.status(Status.MOVED_PERMANENTLY_301);
                    // Relative (RFC 9110 §10.2.2): resolved against the URL the browser asked, it keeps
                    // the path prefix of a reverse proxy that mounts the server under one
                    // (https://ops.example/pgfleet/ui → …/pgfleet/ui/); "/ui/" would leave it.
                    res.header(HeaderNames.LOCATION, PATH.substring(1) + "/");
                    res.send();
                })
                .register(PATH + "/vendor/codemirror", StaticContentService.create(webJar("codemirror")))
                .register(PATH + "/vendor/uplot", StaticContentService.create(webJar("uplot")))
                .register(PATH, StaticContentService.builder(ROOT).welcomeFileName(WELCOME).build());
    }

    private static void securityHeaders(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        addSecurityHeaders(path, res::header);
        if (isConsolePath(path)) {
            Optional<Problem> refused = unreadableDate(req.headers()).map(header -> Problem.badRequest("the header "
                    // Helidon's static content parses these dates itself and failed on one that is none,
                    // which answered the file 500. RFC 9110 would have such a condition ignored, but the
                    // request's headers cannot be changed on the way to the static content: a clear 400,
                    // as the API answers a malformed condition (If-Match).
                    + header.defaultCase() + " is not one HTTP date (such as Thu, 01 Jan 2026 00:00:00 GMT); send it as a"
                    + " browser does, or leave it out"));
            Method method = req.prologue().method();
            if (refused.isEmpty() && (method == Method.GET || method == Method.HEAD)) {
                try {
                    entityTagLists(req);
                } catch (ApiException e) {
                    refused = Optional.of(e.problem());
                }
            }
            if (refused.isEmpty() && (method == Method.GET || method == Method.HEAD)) {
                Optional<Instant> lastModified = hasCondition(req.headers()) ? file(path).flatMap(ConsoleFile::lastModified)
                        : Optional.empty();
                if (lastModified.isPresent()) {
                    String etag = entityTag(lastModified.get());
                    switch (evaluate(req.headers(), etag, lastModified.get())) {
                        case FAILED -> refused = Optional.of(preconditionFailed(path));
                        case NOT_MODIFIED -> {
                            // RFC 9110 §15.4.5: the ETag a 200 would carry.
                            res.header(HeaderNames.ETAG, etag);
                            res.status(Status.NOT_MODIFIED_304);
                            res.send();
                            return;
                        }
                        case PROCEED -> conditionsHeld(req, lastModified.get());
                    }
                }
            }
            if (refused.isPresent()) {
                if (method == Method.HEAD) {
                    // A HEAD answer has no body: the status alone.
                    res.status(refused.get().status());
                    res.header(HeaderNames.CACHE_CONTROL, "no-store");
                    res.send();
                } else {
                    refused.get().send(res);
                }
                return;
            }
        }
        chain.proceed();
    }

    /**
     * Hands {@code If-None-Match} and {@code If-Match} to the static content one entity tag per
     * value. Helidon's static content compares each field line whole with the file's tag, so a
     * list ({@code "x", "<etag>"}, what a cache that holds several copies sends) never matched and
     * the file was sent again instead of {@code 304}; and it stripped {@code W/} from an
     * {@code If-Match} tag, which RFC 9110 compares strongly. Read here as the API reads them
     * ({@link EntityTags}): every line counts, a malformed tag is a {@code 400} naming the header.
     */
    private static void entityTagLists(RoutingRequest req) {
        for (HeaderName name : List.of(HeaderNames.IF_NONE_MATCH, HeaderNames.IF_MATCH)) {
            Optional<String> value = EntityTags.header(req, name);
            if (value.isEmpty()) {
                continue;
            }
            List<String> tags;
            try {
                tags = name == HeaderNames.IF_NONE_MATCH ? EntityTags.weakList(value.get()) : EntityTags.strongList(value.get());
            } catch (ApiException e) {
                throw new ApiException(Problem.badRequest("the header " + name.defaultCase() + " is not * or a list of entity tags ("
                        + e.problem().detail() + ")"));
            }
            req.header(HeaderValues.create(name, tags));
        }
    }

    /** What RFC 9110 §13.2.2 makes of a request's preconditions. */
    enum Outcome {
        /** An {@code If-Match} or {@code If-Unmodified-Since} does not hold: {@code 412}. */
        FAILED,
        /** The client's copy is current ({@code If-None-Match}, or else {@code If-Modified-Since}): {@code 304}. */
        NOT_MODIFIED,
        /** Nothing stops the request: the file (or its range). */
        PROCEED
    }

    /**
     * Evaluates the preconditions in RFC 9110 §13.2.2's order, which Helidon's static content does
     * not follow (it read {@code If-None-Match} first, so a failing {@code If-Match} next to a
     * matching {@code If-None-Match} was a {@code 304}, and {@code If-Modified-Since} before
     * {@code If-Unmodified-Since}): {@code If-Match} (412 when it fails); without it,
     * {@code If-Unmodified-Since}; then {@code If-None-Match} (304 when it matches); without it,
     * {@code If-Modified-Since}. Dates compare at the second, the precision of {@code Last-Modified}.
     *
     * @param headers      the request's headers, the entity tag lists already one tag a value
     *                     ({@link #entityTagLists})
     * @param etag         the file's entity tag, quoted
     * @param lastModified the file's time
     * @return what the preconditions say
     */
    static Outcome evaluate(ServerRequestHeaders headers, String etag, Instant lastModified) {
        Instant modified = lastModified.truncatedTo(ChronoUnit.SECONDS);
        if (headers.contains(HeaderNames.IF_MATCH)) {
            // Strong comparison: strongList left only strong tags (or one that matches nothing).
            List<String> tags = headers.all(HeaderNames.IF_MATCH, List::of);
            if (!tags.contains("*") && !tags.contains(etag)) {
                return Outcome.FAILED;
            }
        } else if (headers.ifUnmodifiedSince().map(d -> modified.isAfter(d.toInstant())).orElse(false)) {
            return Outcome.FAILED;
        }
        if (headers.contains(HeaderNames.IF_NONE_MATCH)) {
            // Weak comparison: weakList took W/ off every tag.
            List<String> tags = headers.all(HeaderNames.IF_NONE_MATCH, List::of);
            return tags.contains("*") || tags.contains(etag) ? Outcome.NOT_MODIFIED : Outcome.PROCEED;
        }
        return headers.ifModifiedSince().map(d -> !modified.isAfter(d.toInstant())).orElse(false)
                ? Outcome.NOT_MODIFIED : Outcome.PROCEED;
    }

    private static boolean hasCondition(ServerRequestHeaders headers) {
        return headers.contains(HeaderNames.IF_MATCH) || headers.contains(HeaderNames.IF_NONE_MATCH)
                || headers.contains(HeaderNames.IF_MODIFIED_SINCE) || headers.contains(HeaderNames.IF_UNMODIFIED_SINCE)
                || headers.contains(HeaderNames.IF_RANGE) && headers.contains(HeaderNames.RANGE);
    }

    /**
     * Whether a request's {@code If-Range} names the file as it is now (RFC 9110 §13.1.5): an entity
     * tag compared strongly (a weak one never matches), or a date equal to the file's
     * {@code Last-Modified} at the second. Anything else (a malformed value, several lines) does not,
     * so the whole file is sent: never a part of a version the client may not hold.
     */
    static boolean ifRangeHolds(List<String> lines, String etag, Instant lastModified) {
        if (lines.size() != 1) {
            return false;
        }
        String value = lines.getFirst().strip();
        if (value.startsWith("\"") || value.startsWith("W/")) {
            return value.equals(etag);
        }
        try {
            return io.helidon.http.DateTime.parse(value).toInstant().equals(lastModified.truncatedTo(ChronoUnit.SECONDS));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The entity tag the static content gives a file of this time (its milliseconds, quoted). */
    static String entityTag(Instant lastModified) {
        return "\"" + lastModified.toEpochMilli() + "\"";
    }

    /**
     * The preconditions held (evaluated above, in RFC 9110's order): the static content, which
     * evaluates them again in its own order, is handed ones that hold for the file whatever that
     * order. A header cannot be taken off the request on its way, only replaced.
     */
    private static void conditionsHeld(RoutingRequest req, Instant lastModified) {
        ServerRequestHeaders headers = req.headers();
        if (req.prologue().method() == Method.GET && headers.contains(HeaderNames.RANGE) && headers.contains(HeaderNames.IF_RANGE)
                && !ifRangeHolds(headers.all(HeaderNames.IF_RANGE, List::of), entityTag(lastModified), lastModified)) {
            // The static content ignores If-Range: it would send the range of this version to a client
            // that holds the rest of another, which splices them. The Range must then be ignored; it
            // cannot be taken off, and the static content answers a Range of more than one part with the
            // whole file (it sends no multipart answer): the whole file, asked for twice.
            req.header(HeaderValues.create(HeaderNames.RANGE, "bytes=0-, 0-"));
        }
        if (headers.contains(HeaderNames.IF_MATCH)) {
            req.header(HeaderValues.create(HeaderNames.IF_MATCH, "*"));
        }
        if (headers.contains(HeaderNames.IF_NONE_MATCH)) {
            // Not a number, so never the file's tag.
            req.header(HeaderValues.create(HeaderNames.IF_NONE_MATCH, "\"none\""));
        }
        if (headers.contains(HeaderNames.IF_UNMODIFIED_SINCE)) {
            req.header(HeaderValues.create(HeaderNames.IF_UNMODIFIED_SINCE, HttpDates.header(HttpDates.LATEST)));
        }
        if (headers.contains(HeaderNames.IF_MODIFIED_SINCE)) {
            req.header(HeaderValues.create(HeaderNames.IF_MODIFIED_SINCE,
                    HttpDates.header(lastModified.truncatedTo(ChronoUnit.SECONDS).minusSeconds(1))));
        }
    }

    /**
     * The {@code 412} of a console file: no versioned document, so not {@code version-conflict}, and
     * not malformed, so not {@code bad-request}.
     */
    static Problem preconditionFailed(String path) {
        return new Problem(Status.PRECONDITION_FAILED_412, ProblemType.PRECONDITION_FAILED, "Precondition failed",
                "the file " + path + " does not match the request's If-Match or If-Unmodified-Since: it is another"
                        + " version now; its current ETag and Last-Modified come with a GET");
    }

    /**
     * A file of the console or of its libraries, as the static content serves it.
     *
     * @param length       its length in bytes
     * @param lastModified the time its {@code ETag} and {@code Last-Modified} are made of: the jar's
     *                     (or, unpacked, the file's), as the static content takes it; empty when unknown
     */
    record ConsoleFile(long length, Optional<Instant> lastModified) {
    }

    /**
     * The file served at a console path.
     *
     * @param path the request's path as routing saw it
     * @return the file, empty when none is served there
     */
    static Optional<ConsoleFile> file(String path) {
        Optional<java.net.URL> url = resource(path);
        if (url.isEmpty()) {
            return Optional.empty();
        }
        try {
            java.net.URLConnection connection = url.get().openConnection();
            if (connection instanceof java.net.JarURLConnection jar) {
                if (jar.getJarEntry().isDirectory()) {
                    return Optional.empty();
                }
                return Optional.of(new ConsoleFile(jar.getJarEntry().getSize(), modified(java.nio.file.Path.of(jar.getJarFile().getName()))));
            }
            if ("file".equals(url.get().getProtocol())) {
                java.nio.file.Path file = java.nio.file.Path.of(url.get().toURI());
                return java.nio.file.Files.isDirectory(file) ? Optional.empty()
                        : Optional.of(new ConsoleFile(java.nio.file.Files.size(file), modified(file)));
            }
            return Optional.of(new ConsoleFile(connection.getContentLengthLong(), Optional.empty()));
        } catch (IOException | java.net.URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<Instant> modified(java.nio.file.Path file) throws IOException {
        return java.nio.file.Files.isRegularFile(file) ? Optional.of(java.nio.file.Files.getLastModifiedTime(file).toInstant())
                : Optional.empty();
    }

    /**
     * Whether a console file is served at this path ({@code /ui/…}): a method other than
     * {@code GET} and {@code HEAD} on it is {@code 405}, as on an API path, not {@code 404}.
     *
     * @param path the request's path as routing saw it (decoded, without dot segments)
     * @return true when the path names a file of the console or of its libraries
     */
    static boolean serves(String path) {
        return file(path).isPresent();
    }

    /** The resource a console path names, folder or file; empty for a path outside the console's files. */
    private static Optional<java.net.URL> resource(String path) {
        String rest;
        if (path.equals(PATH + "/")) {
            rest = WELCOME;
        } else if (path.startsWith(PATH + "/")) {
            rest = path.substring(PATH.length() + 1);
        } else {
            return Optional.empty();
        }
        for (String segment : rest.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.contains("\\")) {
                return Optional.empty();
            }
        }
        String resource;
        if (rest.startsWith("vendor/codemirror/")) {
            resource = webJar("codemirror") + "/" + rest.substring("vendor/codemirror/".length());
        } else if (rest.startsWith("vendor/uplot/")) {
            resource = webJar("uplot") + "/" + rest.substring("vendor/uplot/".length());
        } else {
            resource = ROOT + "/" + rest;
        }
        return Optional.ofNullable(WebConsole.class.getClassLoader().getResource(resource));
    }

    /** The first conditional date header the static content would fail to parse, if any. */
    private static Optional<HeaderName> unreadableDate(ServerRequestHeaders headers) {
        try {
            headers.ifModifiedSince();
        } catch (RuntimeException e) {
            return Optional.of(HeaderNames.IF_MODIFIED_SINCE);
        }
        try {
            headers.ifUnmodifiedSince();
        } catch (RuntimeException e) {
            return Optional.of(HeaderNames.IF_UNMODIFIED_SINCE);
        }
        return Optional.empty();
    }

    private static boolean isConsolePath(String path) {
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    /**
     * Adds the console's headers to an answer for a console path. The filter does it for every
     * answer; an error answer (an unknown file's 404) starts from fresh headers, so the error
     * handlers call this again.
     */
    static void addSecurityHeaders(String path, BiConsumer<HeaderName, String> header) {
        if (isConsolePath(path)) {
            header.accept(HeaderNames.create("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
            header.accept(HeaderNames.create("X-Frame-Options"), "DENY");
            header.accept(HeaderNames.create("X-Content-Type-Options"), "nosniff");
            header.accept(HeaderNames.create("Referrer-Policy"), "no-referrer");
            header.accept(HeaderNames.create("Cross-Origin-Opener-Policy"), "same-origin");
            header.accept(HeaderNames.create("Cross-Origin-Resource-Policy"), "same-origin");
            header.accept(HeaderNames.create("Permissions-Policy"), "camera=(), microphone=(), geolocation=(), payment=(), usb=()");
            // A new server version brings new files: the browser asks again (ETag makes that cheap).
            header.accept(HeaderNames.CACHE_CONTROL, "no-cache");
        }
    }

    /**
     * The resource folder of an npm WebJar on the class path, at the version the build put there
     * (read from the WebJar's own Maven metadata, so the version is written down once, in the pom).
     */
    static String webJar(String artifact) {
        String metadata = "META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
        try (InputStream in = WebConsole.class.getClassLoader().getResourceAsStream(metadata)) {
            if (in == null) {
                throw new IllegalStateException("the web console's library " + artifact + " is missing from the class path ("
                        + metadata + ")");
            }
            Properties p = new Properties();
            p.load(in);
            return "META-INF/resources/webjars/" + artifact + "/" + p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
