package io.pgfleet.adapter.in.http;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;

/** gzip for response bodies when the client asks for it ({@code Accept-Encoding: gzip}). */
final class Compression {

    /** Below this size compression costs more than it saves. */
    static final int MIN_BYTES = 512;
    private static final Header VARY = HeaderValues.create(HeaderNames.VARY, "Accept-Encoding");
    private static final Header GZIP = HeaderValues.create(HeaderNames.CONTENT_ENCODING, "gzip");

    private Compression() {
    }

    static void send(ServerRequest req, ServerResponse res, byte[] body) {
        send(req, res, body, () -> gzip(body));
    }

    /**
     * Sends a body, compressed when the client accepts gzip and the body is worth it.
     *
     * @param gzipped the gzip form of {@code body}, asked for only when it is sent (may be shared)
     */
    static void send(ServerRequest req, ServerResponse res, byte[] body, Supplier<byte[]> gzipped) {
        res.header(VARY);
        if (body.length < MIN_BYTES || !acceptsGzip(req)) {
            res.send(body);
            return;
        }
        res.header(GZIP);
        res.send(gzipped.get());
    }

    /** The gzip form of a body. */
    static byte[] gzip(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 3 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static boolean acceptsGzip(ServerRequest req) {
        return req.headers().first(HeaderNames.ACCEPT_ENCODING).map(Compression::gzipAllowed).orElse(false);
    }

    static boolean gzipAllowed(String header) {
        // What agents and most clients send: answered without lower-casing and splitting the
        // header on every response (a watch answer is sent thousands of times per change).
        if (header.equalsIgnoreCase("gzip") || header.equalsIgnoreCase("gzip, deflate")
                || header.equalsIgnoreCase("gzip, deflate, br")) {
            return true;
        }
        for (String part : header.toLowerCase(Locale.ROOT).split(",")) {
            String[] p = part.trim().split(";");
            String coding = p[0].trim();
            if (!coding.equals("gzip") && !coding.equals("*")) {
                continue;
            }
            boolean refused = false;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].trim().replace(" ", "");
                if (param.startsWith("q=")) {
                    try {
                        refused = Double.parseDouble(param.substring(2)) <= 0.0;
                    } catch (NumberFormatException e) {
                        refused = true;
                    }
                }
            }
            return !refused;
        }
        return false;
    }
}
