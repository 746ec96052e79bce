package io.pgfleet.agent;

import io.pgfleet.agent.core.AllowLists;
import io.pgfleet.agent.core.ConfigSource;
import io.pgfleet.agent.core.StatusReporter;
import io.pgfleet.agent.transport.ServerClient;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.Sample;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Between two pushes (a minute by default) the agent keeps no connection to the server open: an
 * idle pooled connection costs the server a socket and the agent a monitor that wakes ten times a
 * second (Helidon's idle-connection check), which was most of an idle agent's CPU. A watch, which
 * the agent re-issues as soon as it returns, keeps its connection. Checked on raw sockets on
 * loopback, so what is seen is what went over the wire.
 */
class IdleConnectionTest {

    /** One request as the server saw it, and whether the agent then closed the connection. */
    private record Seen(String head, boolean closedByAgent) {
    }

    private ServerSocket listener;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private Thread acceptor;

    @BeforeEach
    void listen() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().start(this::accept);
    }

    @AfterEach
    void close() throws Exception {
        listener.close();
        acceptor.join(5_000);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                Thread.ofPlatform().daemon().start(() -> answer(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    /**
     * Answers every request on the connection with an empty success that allows keep-alive, then
     * waits (up to 15 s, far less than the agent's 2-minute read timeout) for the agent's next
     * request or for it to close the connection.
     */
    private void answer(Socket s) {
        try (s) {
            PushbackInputStream in = new PushbackInputStream(s.getInputStream(), 1);
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = head(in);
                if (head.isEmpty()) {
                    return;
                }
                in.readNBytes(contentLength(head));
                String status = head.startsWith("POST /api/v1/metrics/push") ? "202 Accepted"
                        : head.startsWith("POST") ? "204 No Content" : "304 Not Modified";
                out.write(("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                s.setSoTimeout(15_000);
                int next;
                try {
                    next = in.read();
                } catch (SocketTimeoutException e) {
                    next = -2;
                }
                seen.add(new Seen(head, next == -1));
                if (next < 0) {
                    return;
                }
                in.unread(next);
                s.setSoTimeout(0);
            }
        } catch (IOException e) {
            // the agent went away
        }
    }

    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                return "";
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                return Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return 0;
    }

    private ServerClient client() {
        return new ServerClient(URI.create("http://127.0.0.1:" + listener.getLocalPort()), Optional.empty(),
                Optional.empty(), Optional.empty(), "c-1", "r0", (id, refresh) -> {
                });
    }

    private Seen next() throws InterruptedException {
        Seen s = seen.poll(30, TimeUnit.SECONDS);
        assertNotNull(s, "the server saw no request");
        return s;
    }

    @Test
    void aPushLeavesNoConnectionOpenUntilTheNextOne() throws Exception {
        ServerClient c = client();
        c.push("b-1", List.of(new Sample("x", Map.of(), 1, Instant.now())));
        Seen push = next();
        assertTrue(push.head().startsWith("POST /api/v1/metrics/push"), push.head());
        assertTrue(push.closedByAgent(), "the agent closed the connection after its push:\n" + push.head());
    }

    @Test
    void aStatusReportLeavesNoConnectionOpen() throws Exception {
        ServerClient c = client();
        c.report(new StatusReporter.Report(1, ApplyStatus.APPLIED, "", "00", AllowLists.defaults()));
        Seen report = next();
        assertTrue(report.head().startsWith("POST /api/v1/collectors/c-1/status"), report.head());
        assertTrue(report.closedByAgent(), "the agent closed the connection after its report:\n" + report.head());
    }

    @Test
    void aPlainPullLeavesNoConnectionOpenButAWatchKeepsItsForTheNextWatch() throws Exception {
        ServerClient c = client();
        assertEquals(new ConfigSource.Fetch.NotModified(), c.fetch(new ConfigSource.Request("\"e\"", 0, 0)));
        Seen pull = next();
        assertTrue(pull.closedByAgent(), "a plain pull (every 5 minutes by default) keeps no connection:\n" + pull.head());

        assertEquals(new ConfigSource.Fetch.NotModified(), c.fetch(new ConfigSource.Request("\"e\"", 25, 3)));
        assertEquals(new ConfigSource.Fetch.NotModified(), c.fetch(new ConfigSource.Request("\"e\"", 25, 3)));
        Seen watch = next();
        assertTrue(watch.head().startsWith("GET /api/v1/config/c-1?wait=25&after=3"), watch.head());
        assertFalse(watch.closedByAgent(), "the watch's connection carried the next watch");
        assertFalse(watch.head().toLowerCase(java.util.Locale.ROOT).contains("connection: close"), watch.head());
    }
}
