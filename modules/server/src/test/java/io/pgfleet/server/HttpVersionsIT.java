package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * HTTP/1.0, as reverse proxies and load balancer health checks send it on their defaults, is
 * answered — {@code 505} with a problem saying to use HTTP/1.1 — never with a silently closed
 * connection. Byte for byte over a raw socket.
 */
class HttpVersionsIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    /** The pause between the pieces of a request written in pieces. */
    private static final int PIECE_GAP_MS = 30;

    /** Everything the server sends until it closes the connection; fails when it does not close within the bound. */
    private static String untilClosed(String request) throws IOException, InterruptedException {
        return untilClosed(List.of(request));
    }

    /**
     * As {@link #untilClosed(String)}, the request written in these pieces, each in a TCP segment of
     * its own: no Nagle delay, each flushed, and a pause after it so that the server reads it alone.
     */
    private static String untilClosed(List<String> pieces) throws IOException, InterruptedException {
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            // Far below the idle timeout (120 s): the server answers and closes at once.
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            for (int i = 0; i < pieces.size(); i++) {
                if (i > 0) {
                    // Not an event to await: the gap is what makes the server's read end between pieces.
                    Thread.sleep(PIECE_GAP_MS);
                }
                s.getOutputStream().write(pieces.get(i).getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
            }
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (SocketTimeoutException e) {
                fail("the connection is still open after: " + out.toString(StandardCharsets.ISO_8859_1));
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void anHttp10RequestIsAnswered505WithAProblemSayingToUseHttp11ThenClosed() throws Exception {
        // nginx proxy_pass on its defaults, and curl -0.
        String health = untilClosed("GET /observe/health HTTP/1.0\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(health.startsWith("HTTP/1.1 505 "), "answered: " + health);
        assertTrue(health.contains("Content-Type: application/problem+json"), health);
        assertTrue(health.contains("\"type\":\"https://pgfleet.io/problems/http-version-not-supported\""), health);
        assertTrue(health.contains("HTTP/1.1") && health.contains("proxy_http_version 1.1"), health);
        // HAProxy's option httpchk on its defaults: no Host, no headers at all.
        String check = untilClosed("OPTIONS / HTTP/1.0\r\n\r\n");
        assertTrue(check.startsWith("HTTP/1.1 505 "), "answered: " + check);
        // HTTP/1.1 is served as before.
        String served = untilClosed("GET /observe/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(served.startsWith("HTTP/1.1 200 "), served);
    }

    /** The request cut at {@code at} and at every later point inside its first line's {@code HTTP/1.x}. */
    private static List<List<String>> splitsInsideTheVersion(String request) {
        int from = request.indexOf(" HTTP/1.") + 1;
        int lineEnd = request.indexOf('\n');
        List<List<String>> splits = new ArrayList<>();
        for (int at = from + 1; at <= lineEnd; at++) {
            splits.add(List.of(request.substring(0, at), request.substring(at)));
        }
        return splits;
    }

    private static List<String> byteByByte(String request) {
        return request.chars().mapToObj(c -> String.valueOf((char) c)).toList();
    }

    @Test
    void anHttp10RequestLineArrivingInPiecesIsStillAnswered505() throws Exception {
        String request = "GET /observe/health HTTP/1.0\r\nHost: x\r\n\r\n";
        for (List<String> pieces : splitsInsideTheVersion(request)) {
            String answer = untilClosed(pieces);
            assertTrue(answer.startsWith("HTTP/1.1 505 ") && answer.contains("http-version-not-supported"),
                    "cut as " + pieces + ", answered: " + answer);
        }
        String check = untilClosed(byteByByte("OPTIONS / HTTP/1.0\r\n\r\n"));
        assertTrue(check.startsWith("HTTP/1.1 505 ") && check.contains("http-version-not-supported"), "answered: " + check);
    }

    @Test
    void anHttp11RequestLineArrivingInPiecesIsServedAsEver() throws Exception {
        String request = "GET /observe/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        for (List<String> pieces : splitsInsideTheVersion(request)) {
            String answer = untilClosed(pieces);
            assertTrue(answer.startsWith("HTTP/1.1 200 "), "cut as " + pieces + ", answered: " + answer);
        }
        String served = untilClosed(byteByByte(request));
        assertTrue(served.startsWith("HTTP/1.1 200 "), "answered: " + served);
    }

    @Test
    void aRequestLineThatNeverEndsIsCutOffAfterTheIdleTimeout() throws Exception {
        ServerSettings base = TestServers.settings(SERVER.database());
        LimitSettings shortIdle = base.limits().withIdleTimeout(Duration.ofSeconds(10));
        try (PgfleetServer small = PgfleetServer.start(base.withLimits(shortIdle));
             Socket stuck = new Socket("127.0.0.1", small.port())) {
            // Half a request line, then nothing: it cannot be told HTTP/1.0 or 1.1, and is not waited for without end.
            stuck.setTcpNoDelay(true);
            stuck.getOutputStream().write("GET /observe/health HT".getBytes(StandardCharsets.US_ASCII));
            stuck.getOutputStream().flush();
            // Far above the 10 s idle timeout; without a cut-off the read never ends.
            stuck.setSoTimeout(60_000);
            try {
                assertEquals(-1, stuck.getInputStream().read(), "the server closes the connection without answering");
            } catch (SocketTimeoutException e) {
                fail("a connection stuck inside its request line is still open after 60 s");
            } catch (java.net.SocketException e) {
                // reset by the server: closed as well
            }
        }
    }
}
