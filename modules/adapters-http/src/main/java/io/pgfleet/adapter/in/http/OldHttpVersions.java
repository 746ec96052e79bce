package io.pgfleet.adapter.in.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.Bytes;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * Answers an HTTP/1.0 request with {@code 505 HTTP Version Not Supported} and a problem saying to
 * use HTTP/1.1, then closes the connection.
 *
 * <p>Helidon 4.1 speaks HTTP/1.1 only, and says nothing to anything else: its HTTP/1 connection
 * selector takes only a request line ending in {@code HTTP/1.1}, its request line parser refuses
 * any other version, and a connection no selector takes is closed without a byte written. A
 * reverse proxy on its defaults (nginx {@code proxy_pass} speaks HTTP/1.0 upstream; HAProxy's
 * {@code option httpchk} sends {@code OPTIONS / HTTP/1.0}) then got no answer at all and marked
 * every instance down, with nothing in any log saying why. Serving HTTP/1.0 would mean rewriting
 * requests under Helidon and keeping it from answering with what HTTP/1.0 does not have (chunked
 * bodies, persistent connections); a clear refusal the proxy logs is the honest answer.
 *
 * <p>Asked before Helidon's own selector, it takes only connections whose first request line ends
 * in {@code HTTP/1.0}; every other connection goes on to Helidon as before.
 */
final class OldHttpVersions implements ServerConnectionSelector {

    /** The most bytes of request head read before answering: Helidon's default header limit. */
    private static final int MAX_HEAD = 16 * 1024;

    private static final byte[] ANSWER = answer();

    @Override
    public int bytesToIdentifyConnection() {
        // Whatever has arrived: a request line is told by its end, not by a length.
        return 0;
    }

    @Override
    public Support supports(BufferData request) {
        int lf = request.indexOf(Bytes.LF_BYTE);
        if (lf == -1) {
            // No whole request line yet; Helidon's selector, asked next, takes such a connection
            // (and answers a line it cannot read with a 400 problem).
            return Support.UNKNOWN;
        }
        String line = request.readString(lf);
        return line.endsWith(" HTTP/1.0\r") || line.endsWith(" HTTP/1.0") ? Support.SUPPORTED : Support.UNSUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        // Not one ALPN offers: a TLS client that negotiates HTTP/1.1 sends HTTP/1.1.
        return Set.of();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new Refusal(ctx);
    }

    private static byte[] answer() {
        byte[] body = Jsons.JSON.createObjectBuilder()
                .add("type", Problem.TYPE_BASE + "http-version-not-supported")
                .add("title", "HTTP version not supported")
                .add("status", 505)
                .add("detail", "this server speaks HTTP/1.1; HTTP/1.0 requests are not served. Have the client or the"
                        + " proxy in front use HTTP/1.1 with a Host header (nginx: proxy_http_version 1.1; HAProxy:"
                        + " http-check send meth GET uri /observe/health ver HTTP/1.1 hdr Host pgfleet)")
                .build().toString().getBytes(StandardCharsets.UTF_8);
        // HTTP/1.1 in the status line: a server answers with the highest version it speaks whose
        // major number is the request's (RFC 9110 §6.2); Content-Length frames it for any client.
        String head = "HTTP/1.1 505 HTTP Version Not Supported\r\n"
                + "Content-Type: " + Problem.MEDIA_TYPE + "\r\n"
                + "Cache-Control: no-store\r\n"
                + "Connection: close\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head8.length + body.length];
        System.arraycopy(head8, 0, all, 0, head8.length);
        System.arraycopy(body, 0, all, head8.length, body.length);
        return all;
    }

    /** One HTTP/1.0 connection: its request head read, answered 505, closed. */
    private static final class Refusal implements ServerConnection {

        private final ConnectionContext ctx;
        private final long started = System.nanoTime();
        private volatile Thread handler;

        Refusal(ConnectionContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void handle(Limit limit) {
            refuse();
        }

        @Override
        public void handle(Semaphore requestSemaphore) {
            refuse();
        }

        private void refuse() {
            handler = Thread.currentThread();
            try {
                // The head is read first: closing a socket with unread bytes resets it, and a reset
                // can discard the answer before the client reads it.
                readHead(ctx.dataReader());
                ctx.dataWriter().writeNow(BufferData.create(ANSWER));
            } catch (RuntimeException e) {
                // The client went away (or its socket timed out): there is nobody to answer.
            }
            // Returning closes the connection.
        }

        /** Reads up to the blank line that ends the head, or {@link #MAX_HEAD} bytes. */
        private static void readHead(DataReader reader) {
            int seen = 0;
            int last = 0;
            while (seen < MAX_HEAD) {
                byte b = reader.read();
                seen++;
                last = (last << 8) | (b & 0xff);
                if ((last & 0xffff) == 0x0a0a || last == 0x0d0a0d0a) {
                    return;
                }
            }
        }

        @Override
        public Duration idleTime() {
            return Duration.ofNanos(System.nanoTime() - started);
        }

        @Override
        public void close(boolean interrupt) {
            Thread t = handler;
            if (interrupt && t != null) {
                t.interrupt();
            }
        }
    }
}
