package io.pgfleet.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A minimal reverse proxy on loopback that mounts a server under a path prefix, as operators deploy
 * internal tools ({@code https://ops.example/pgfleet/} → the server's {@code /}): {@code <prefix>/x}
 * is forwarded to the server's {@code /x} with the method, headers and body as they came (plus
 * {@code X-Forwarded-For}, as a proxy adds it), and the answer goes back as the server sent it,
 * redirects included, not followed. Anything outside the prefix is answered {@code 404} and
 * recorded, so a test sees every request a client sent past the prefix. Real HTTP on both sides.
 */
public final class PathPrefixProxy implements AutoCloseable {

    /** Set by the HTTP client itself, or hop-by-hop (RFC 9110 §7.6.1): not copied. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection");

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<String> forwarded = new CopyOnWriteArrayList<>();
    private final List<String> outside = new CopyOnWriteArrayList<>();

    private PathPrefixProxy(HttpServer server) {
        this.server = server;
    }

    /**
     * Starts a proxy on a free loopback port.
     *
     * @param prefix       the path prefix, e.g. {@code /pgfleet} (no trailing slash)
     * @param upstreamPort the server's port on loopback
     * @return the running proxy; {@link #close()} stops it
     * @throws IOException when no port can be bound
     */
    public static PathPrefixProxy start(String prefix, int upstreamPort) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        PathPrefixProxy proxy = new PathPrefixProxy(server);
        server.createContext("/", ex -> {
            proxy.outside.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            answer(ex, 404, "text/plain", "no such location on this proxy\n".getBytes());
        });
        server.createContext(prefix + "/", ex -> proxy.forward(ex, prefix, upstreamPort));
        server.setExecutor(proxy.threads);
        server.start();
        return proxy;
    }

    /** @return the proxy's port on loopback */
    public int port() {
        return server.getAddress().getPort();
    }

    /** What was forwarded, as {@code METHOD /path?query STATUS} of the server's side. */
    public List<String> forwarded() {
        return List.copyOf(forwarded);
    }

    /** The requests outside the prefix (answered 404). */
    public List<String> outsidePrefix() {
        return List.copyOf(outside);
    }

    private void forward(HttpExchange ex, String prefix, int upstreamPort) throws IOException {
        String raw = ex.getRequestURI().getRawPath().substring(prefix.length());
        String query = ex.getRequestURI().getRawQuery();
        String target = raw + (query == null ? "" : "?" + query);
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + upstreamPort + target))
                .timeout(Duration.ofSeconds(80))
                .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> req.header(name, v));
            }
        });
        req.header("X-Forwarded-For", ex.getRemoteAddress().getAddress().getHostAddress());
        HttpResponse<byte[]> res;
        try {
            res = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer(ex, 502, "text/plain", "interrupted\n".getBytes());
            return;
        } catch (IOException e) {
            answer(ex, 502, "text/plain", ("no answer from the server: " + e + "\n").getBytes());
            return;
        }
        forwarded.add(ex.getRequestMethod() + " " + target + " " + res.statusCode());
        res.headers().map().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                ex.getResponseHeaders().put(name, values);
            }
        });
        byte[] out = res.body();
        boolean bodiless = res.statusCode() == 204 || res.statusCode() == 304 || "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(res.statusCode(), bodiless || out.length == 0 ? -1 : out.length);
        try (OutputStream o = ex.getResponseBody()) {
            if (!bodiless) {
                o.write(out);
            }
        }
    }

    private static void answer(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
