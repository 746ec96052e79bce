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
                .register(PATH, StaticContentService.builder(ROOT).welcomeFileName("index.html").build());
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

    /**
     * Whether a console file is served at this path ({@code /ui/…}): a method other than
     * {@code GET} and {@code HEAD} on it is {@code 405}, as on an API path, not {@code 404}.
     *
     * @param path the request's path as routing saw it (decoded, without dot segments)
     * @return true when the path names a file of the console or of its libraries
     */
    static boolean serves(String path) {
        if (path.equals(PATH + "/")) {
            return true;
        }
        if (!path.startsWith(PATH + "/")) {
            return false;
        }
        String rest = path.substring(PATH.length() + 1);
        for (String segment : rest.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.contains("\\")) {
                return false;
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
        java.net.URL url = WebConsole.class.getClassLoader().getResource(resource);
        if (url == null) {
            return false;
        }
        // A folder is no file (the static content does not serve it either).
        try {
            if (url.openConnection() instanceof java.net.JarURLConnection jar) {
                return !jar.getJarEntry().isDirectory();
            }
            return !"file".equals(url.getProtocol()) || !java.nio.file.Files.isDirectory(java.nio.file.Path.of(url.toURI()));
        } catch (IOException | java.net.URISyntaxException | RuntimeException e) {
            return false;
        }
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
