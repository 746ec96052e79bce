package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

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

    /** Everything the server sends until it closes the connection; fails when it does not close within the bound. */
    private static String untilClosed(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            // Far below the idle timeout (120 s): the server answers and closes at once.
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
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
    void anHttp10RequestIsAnswered505WithAProblemSayingToUseHttp11ThenClosed() throws IOException {
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
}
