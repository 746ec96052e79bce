package io.pgfleet.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code Connection: close}, in a request or in the server's answer, ends the connection after the
 * answer (RFC 9112 §9.6), over a raw socket as a client reading to end of stream sees it: the
 * answer, then end of stream long before the idle timeout (120 s).
 */
class ConnectionCloseIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    /** Far below the idle timeout: a connection left open is told from a closed one by this bound. */
    private static final int EOF_DEADLINE_MS = 10_000;

    /** An answer and what followed it on the connection. */
    private record Answer(String text, boolean endOfStream) {
        int status() {
            return Integer.parseInt(text.substring(9, 12));
        }

        boolean saysClose() {
            return text.substring(0, text.indexOf("\r\n\r\n")).toLowerCase(Locale.ROOT).contains("\r\nconnection: close");
        }
    }

    /** Sends the bytes, reads one answer (its head and Content-Length body), then whether the stream ends. */
    private static Answer exchange(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(EOF_DEADLINE_MS);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            String answer = readAnswer(in);
            try {
                int next = in.read();
                return new Answer(answer, next == -1);
            } catch (SocketTimeoutException e) {
                return new Answer(answer, false);
            }
        }
    }

    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                fail("the connection ended before a whole answer: " + out.toString(StandardCharsets.ISO_8859_1));
            }
            out.write(b);
            String text = out.toString(StandardCharsets.ISO_8859_1);
            int headEnd = text.indexOf("\r\n\r\n");
            if (headEnd >= 0) {
                Matcher m = Pattern.compile("(?i)\r\ncontent-length: *(\\d+)").matcher(text.substring(0, headEnd));
                int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
                if (text.length() - headEnd - 4 >= length) {
                    return out.toString(StandardCharsets.UTF_8);
                }
            }
        }
    }

    @Test
    void aRequestSayingConnectionCloseIsAnsweredThenTheConnectionEndsWhateverItsOutcome() throws IOException {
        String token = SERVER.admin().token();
        // Closing after an error answer is wanted: nothing of it is a warning (Helidon would log one,
        // with a stack trace, per request — nginx says Connection: close upstream by default).
        java.util.List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue() && r.getLoggerName() != null
                        && r.getLoggerName().startsWith("io.helidon")) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger.getLogger("").addHandler(capture);
        try {
            closesAfterEachAnswer(token);
        } finally {
            java.util.logging.Logger.getLogger("").removeHandler(capture);
        }
        assertEquals(java.util.List.of(), warnings.stream().map(java.util.logging.LogRecord::getMessage).toList());
    }

    private static void closesAfterEachAnswer(String token) throws IOException {
        for (String request : new String[] {
                "GET /observe/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                // An error handler's answer (no route), and a token-checked route.
                "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GET /api/v1/collectors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nConnection: Close\r\n\r\n",
                // A refusal of a filter before any route, with a body the client sent along.
                "POST /api/v1/auth/login?x=a\"b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"}) {
            Answer answer = exchange(request);
            assertTrue(answer.saysClose(), answer.text());
            assertTrue(answer.endOfStream(), "the connection is still open " + EOF_DEADLINE_MS + " ms after the answer to: "
                    + request.lines().findFirst().orElse(""));
        }
    }

    @Test
    void aConnectionIsKeptUntilARequestSaysCloseAndWhatIsPipelinedAfterThatOneIsNotServed() throws IOException {
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(EOF_DEADLINE_MS);
            InputStream in = s.getInputStream();
            s.getOutputStream().write("GET /observe/health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String kept = readAnswer(in);
            assertTrue(kept.startsWith("HTTP/1.1 200 "), kept);
            s.getOutputStream().write(("GET /observe/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    + "GET /observe/health HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String last = readAnswer(in);
            assertTrue(last.startsWith("HTTP/1.1 200 "), last);
            try {
                assertEquals(-1, in.read(), "the request after the one that said close is answered");
            } catch (SocketTimeoutException e) {
                fail("the connection is still open " + EOF_DEADLINE_MS + " ms after the answer to a request that said close");
            }
        }
    }

    /** docs/api.md: a lost database is a 503 with Connection: close, so clients reconnect — and the server closes. */
    @Test
    void aLostDatabasesAnswerSaysConnectionCloseAndEndsTheConnection() throws Exception {
        String token = SERVER.admin().token();
        String name;
        try (Connection own = SERVER.database().connect(); Statement s = own.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_database()")) {
            rs.next();
            name = rs.getString(1);
        }
        // From another database of the same PostgreSQL: a database cannot refuse its own session's connections.
        String maintenance = SERVER.database().url().replaceFirst("/" + name + "(?=\\?|$)", "/postgres");
        try (Connection dba = java.sql.DriverManager.getConnection(maintenance, SERVER.database().user(),
                SERVER.database().password()); Statement s = dba.createStatement()) {
            s.execute("ALTER DATABASE \"" + name + "\" ALLOW_CONNECTIONS false");
            try {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
                Answer answer = exchange("GET /api/v1/collectors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                        + "\r\n\r\n");
                assertEquals(503, answer.status(), answer.text());
                assertTrue(answer.text().contains("/problems/storage-unavailable"), answer.text());
                assertTrue(answer.saysClose(), answer.text());
                assertTrue(answer.endOfStream(), "the connection is still open after the 503 that says Connection: close");
            } finally {
                s.execute("ALTER DATABASE \"" + name + "\" ALLOW_CONNECTIONS true");
            }
        }
    }
}
