package io.pgfleet.adapter.in.http;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.Bytes;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.task.InterruptableTask;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionProvider;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
 * <p>Asked before Helidon's own selector, it tells a connection by its first request line: one
 * ending in {@code HTTP/1.0} is refused, any other whole line goes on to Helidon as before, without
 * a byte of delay. A connection whose first bytes hold no whole line yet (the line split over TCP
 * segments, or written a byte at a time) cannot be told apart yet, and Helidon's selector would take
 * it at once for HTTP/1.1 and answer the line a 400 when it turns out to be HTTP/1.0. So such a
 * connection is taken here: it waits for the end of the line without consuming it, then is refused
 * or handed to an HTTP/1.1 connection of the listener's own settings, which reads the request from
 * its first byte. The wait is bounded like Helidon's own: at most the longest request line Helidon
 * takes ({@code max-prologue-length}), the socket's read timeout and the listener's idle timeout.
 */
final class OldHttpVersions implements ServerConnectionSelector {

    /** The most bytes of request head read before answering: Helidon's default header limit. */
    private static final int MAX_HEAD = 16 * 1024;
    /** The listener whose upgrade settings the HTTP/1.1 connections use: the default one. */
    private static final String LISTENER = "@default";

    private static final byte[] ANSWER = answer();

    private final ServerConnectionSelector http11;
    private final int maxLine;

    /**
     * The selector of a listener.
     *
     * @param http1 the listener's HTTP/1.1 settings, for the connections whose first line came in pieces
     */
    OldHttpVersions(Http1Config http1) {
        this.http11 = new Http1ConnectionProvider().create(LISTENER, http1, ProtocolConfigs.create(List.of(http1)));
        this.maxLine = http1.maxPrologueLength();
    }

    /** What the first bytes of a connection say of its HTTP version. */
    private enum Version {
        /** A whole request line ending in HTTP/1.0. */
        OLD,
        /** A whole line of anything else, or more bytes than a request line may have without its end. */
        OTHER,
        /** No whole line yet. */
        INCOMPLETE
    }

    private Version version(BufferData start) {
        int lf = start.indexOf(Bytes.LF_BYTE);
        if (lf == -1) {
            // Past the longest line Helidon takes, Helidon answers it (414) as before.
            return start.available() > maxLine ? Version.OTHER : Version.INCOMPLETE;
        }
        String line = start.readString(lf);
        return line.endsWith(" HTTP/1.0\r") || line.endsWith(" HTTP/1.0") ? Version.OLD : Version.OTHER;
    }

    @Override
    public int bytesToIdentifyConnection() {
        // Whatever has arrived: a request line is told by its end, not by a length.
        return 0;
    }

    @Override
    public Support supports(BufferData request) {
        // A whole line that is not HTTP/1.0 is Helidon's at once: an ordinary request is not delayed.
        return version(request) == Version.OTHER ? Support.UNSUPPORTED : Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        // Not one ALPN offers: a TLS client that negotiates HTTP/1.1 sends HTTP/1.1.
        return Set.of();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new FirstLine(ctx);
    }

    private static byte[] answer() {
        byte[] body = Jsons.JSON.createObjectBuilder()
                .add("type", ProblemType.HTTP_VERSION_NOT_SUPPORTED.uri())
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

    /**
     * One connection taken here: an HTTP/1.0 one, or one whose first line is not whole yet. Its line
     * is awaited, then it is answered 505 and closed, or handed to an HTTP/1.1 connection.
     */
    private final class FirstLine implements ServerConnection, InterruptableTask<Void> {

        private final ConnectionContext ctx;
        private final long started = System.nanoTime();
        private volatile Thread handler;
        /** The HTTP/1.1 connection it was handed to; null while its first line is awaited or refused. */
        private ServerConnection http;
        private boolean closing;
        private boolean closeInterrupts;

        FirstLine(ConnectionContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void handle(Limit limit) throws InterruptedException {
            ServerConnection c = decide();
            if (c != null) {
                c.handle(limit);
            }
        }

        @Override
        public void handle(Semaphore requestSemaphore) throws InterruptedException {
            ServerConnection c = decide();
            if (c != null) {
                c.handle(requestSemaphore);
            }
        }

        /** Waits for the first line; refuses HTTP/1.0 (null), or answers the HTTP/1.1 connection to go on with. */
        private ServerConnection decide() {
            handler = Thread.currentThread();
            DataReader reader = ctx.dataReader();
            Version v;
            // Read, never consumed: the connection it goes to reads the request from its first byte.
            // Ends at a line's end, past maxLine bytes, or when the client hangs up or its socket
            // times out (thrown, and the connection closed as Helidon closes any other).
            while ((v = version(reader.getBuffer(reader.available()))) == Version.INCOMPLETE) {
                reader.pullData();
            }
            if (v == Version.OLD) {
                refuse(reader);
                return null;
            }
            ServerConnection c = http11.connection(ctx);
            boolean closed;
            boolean interrupt;
            synchronized (this) {
                http = c;
                closed = closing;
                interrupt = closeInterrupts;
            }
            if (closed) {
                c.close(interrupt);
                return null;
            }
            return c;
        }

        private void refuse(DataReader reader) {
            try {
                // The head is read first: closing a socket with unread bytes resets it, and a reset
                // can discard the answer before the client reads it.
                readHead(reader);
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

        private synchronized ServerConnection http() {
            return http;
        }

        @Override
        public boolean canInterrupt() {
            // Awaiting a first line, nothing is in progress: a server stopping may end it, as it ends
            // Helidon's connections that wait for a request.
            return !(http() instanceof InterruptableTask<?> t) || t.canInterrupt();
        }

        @Override
        public Duration idleTime() {
            ServerConnection c = http();
            return c == null ? Duration.ofNanos(System.nanoTime() - started) : c.idleTime();
        }

        @Override
        public void close(boolean interrupt) {
            ServerConnection c;
            synchronized (this) {
                closing = true;
                closeInterrupts |= interrupt;
                c = http;
            }
            if (c != null) {
                c.close(interrupt);
                return;
            }
            // Still awaiting its first line (or refusing it): ended now, as Helidon ends a connection
            // that waits for a request line, the idle timeout's close included.
            Thread t = handler;
            if (t != null) {
                t.interrupt();
            }
        }
    }
}
