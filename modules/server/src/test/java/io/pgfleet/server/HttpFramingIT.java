package io.pgfleet.server;

import io.pgfleet.testing.ConfigCorpus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * How a request's body is framed and encoded, sent as raw bytes: anything but a plain
 * {@code Content-Length} or a plain {@code chunked} body is refused before the body is read, and a
 * refusal whose body the server cannot delimit closes the connection, so that no part of it is
 * read as a next request (request smuggling behind a proxy that frames it otherwise).
 */
class HttpFramingIT {

    @RegisterExtension
    static final RunningServer SERVER = new RunningServer();

    private static String token;

    @BeforeAll
    static void start() {
        token = ApiClient.asAdmin(SERVER.port()).token();
    }

    /** An answer: status line and headers, body, and whether the server closed the connection after it. */
    private record Answer(String head, String body, boolean closed) {
        int status() {
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    private static String validate(String headers, String body) {
        return "POST /api/v1/config/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/toml\r\n" + headers + "\r\n" + body;
    }

    /** Sends the bytes, reads one answer, then waits to see whether the server closes the connection. */
    private static Answer exchange(String request) throws IOException {
        return exchange(request, true);
    }

    /** Sends the bytes and reads one answer; {@code closed} is only known when awaited. */
    private static Answer exchange(String request, boolean awaitClose) throws IOException {
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int headEnd = -1;
            int length = -1;
            try {
                while (headEnd < 0 || out.size() - headEnd - 4 < length) {
                    int b = in.read();
                    if (b < 0) {
                        fail("closed before the answer ended: " + out.toString(StandardCharsets.UTF_8));
                    }
                    out.write(b);
                    String text = out.toString(StandardCharsets.ISO_8859_1);
                    if (headEnd < 0 && text.endsWith("\r\n\r\n")) {
                        headEnd = text.length() - 4;
                        Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
                        length = m.find() ? Integer.parseInt(m.group(1)) : 0;
                    }
                }
            } catch (SocketTimeoutException e) {
                fail("no answer within the deadline; got so far: " + out.toString(StandardCharsets.ISO_8859_1));
            }
            String text = out.toString(StandardCharsets.UTF_8);
            boolean closed = false;
            if (awaitClose) {
                // A server that keeps the connection open waits for more: a bounded wait tells. Whatever
                // else it sends (an answer to a smuggled request) counts as not closed.
                s.setSoTimeout(5_000);
                try {
                    closed = in.read() < 0;
                } catch (SocketTimeoutException e) {
                    closed = false;
                }
            }
            return new Answer(text.substring(0, headEnd), text.substring(headEnd + 4), closed);
        }
    }

    private static void assertRefused(Answer a, int status, String mentions) {
        assertEquals(status, a.status(), a.head() + "\n" + a.body());
        assertTrue(a.head().toLowerCase().contains("content-type: application/problem+json"), a.head());
        assertTrue(a.body().contains(mentions), "the problem names " + mentions + ": " + a.body());
    }

    /** RFC 9112 §6.1: both headers "ought to be handled as an error", and the connection closed. */
    @Test
    void aRequestWithBothTransferEncodingAndContentLengthIsA400AndTheConnectionIsClosed() throws IOException {
        Answer a = exchange(validate("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                "5\r\n[a]\r\n\r\n0\r\n\r\n"));
        assertRefused(a, 400, "Transfer-Encoding");
        assertTrue(a.closed(), "the connection is closed: the end of the body is not known");
    }

    /**
     * RFC 9112 §6.3: a Content-Length that is not one decimal number is an unrecoverable error.
     * Framed by its first line, the rest of the body below was served as a request of its own (a
     * proxy framing by the last line forwards it as body): the connection is closed unread instead.
     */
    @Test
    void aContentLengthOnSeveralLinesOrWithASignIsA400AndNothingAfterItIsReadAsARequest() throws IOException {
        String smuggled = "GET /api/v1/groups/smuggled HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
        String body = "[a]\n" + smuggled;
        int all = body.getBytes(StandardCharsets.UTF_8).length;
        for (String lengths : new String[] {"Content-Length: 4\r\nContent-Length: " + all + "\r\n",
                "Content-Length: " + all + "\r\nContent-Length: 4\r\n", "Content-Length: 4\r\nContent-Length: 4\r\n",
                "Content-Length: +4\r\n"}) {
            Answer a = exchange(validate(lengths, body));
            assertRefused(a, 400, "Content-Length");
            assertTrue(a.closed(), lengths + ": the connection is closed, nothing after the refused request served");
        }
        String valid = ConfigCorpus.VALID.getFirst();
        Answer plain = exchange(validate("Content-Length:  " + valid.getBytes(StandardCharsets.UTF_8).length + " \r\n", valid), false);
        assertEquals(200, plain.status(), "one length, spaces around it: " + plain.head() + "\n" + plain.body());
    }

    @Test
    void aTransferCodingOtherThanChunkedIs501AndTheConnectionIsClosed() throws IOException {
        for (String coding : new String[] {"gzip, chunked", "chunked, chunked", "deflate", "identity"}) {
            Answer a = exchange(validate("Transfer-Encoding: " + coding + "\r\n", "5\r\n[a]\r\n\r\n0\r\n\r\n"));
            assertRefused(a, 501, "Transfer-Encoding");
            assertTrue(a.closed(), coding + ": the connection is closed");
        }
    }

    /**
     * Helidon decodes a chunked body only under {@code Transfer-Encoding: chunked} written so: under
     * {@code Chunked} (coding names are case-insensitive, so a proxy in front decodes it) or
     * {@code chunked,} the body was taken as empty and its chunks, with the request hidden in them,
     * served as the next request on the connection. Such a request is refused and the connection closed.
     */
    @Test
    void chunkedSpelledOtherwiseThanHelidonDecodesItIsRefusedAndNothingAfterItIsReadAsARequest() throws IOException {
        String smuggled = "GET /api/v1/groups/smuggled HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
        String chunk = "[a]\n" + smuggled;
        String body = Integer.toHexString(chunk.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + chunk + "\r\n0\r\n\r\n";
        for (String coding : new String[] {"Chunked", "CHUNKED", "chunked,", ", chunked"}) {
            Answer a = exchange(validate("Transfer-Encoding: " + coding + "\r\n", body));
            assertRefused(a, 501, "Transfer-Encoding");
            assertTrue(a.closed(), coding + ": the connection is closed, nothing after the refused request served");
        }
    }

    /** The server decodes no request body; RFC 9110 §15.5.16 says which coding it accepts. */
    @Test
    void aBodyInAContentEncodingIs415NamingTheOnlyAcceptedOneAndIdentityIsNoEncoding() throws IOException {
        for (String coding : new String[] {"gzip", "br", "deflate", "identity, gzip"}) {
            Answer a = exchange(validate("Content-Encoding: " + coding + "\r\nContent-Length: 4\r\n", "[a]\n"));
            assertRefused(a, 415, "Content-Encoding");
            assertTrue(a.head().toLowerCase().contains("accept-encoding: identity"), a.head());
            assertTrue(a.closed(), coding + ": the connection is closed, its body unread");
        }
        String valid = ConfigCorpus.VALID.getFirst();
        // Content codings are case-insensitive (RFC 9110 §8.4.1).
        for (String spelling : new String[] {"identity", "Identity", "IDENTITY", "iDentity"}) {
            Answer identity = exchange(validate("Content-Encoding: " + spelling + "\r\nContent-Length: "
                    + valid.getBytes(StandardCharsets.UTF_8).length + "\r\n", valid), false);
            assertEquals(200, identity.status(), spelling + " is no coding: " + identity.head() + "\n" + identity.body());
        }
    }

    @Test
    void aMalformedChunkIsA400WhoseDetailShowsNoBytesOfTheRequest() throws IOException {
        for (String body : new String[] {"5;" + "x".repeat(40) + "\u0001\r\n[a]\r\n\r\n0\r\n\r\n", "zz\r\n[a]\r\n0\r\n\r\n",
                "5\r\n[a]\r\n\r\n0\r\nBad Trailer\r\n\r\n", "5;a=\"b\r\n[a]\r\n\r\n0\r\n\r\n",
                "5\r\n[a]\r\n\r\n0;x\u0001y\r\n\r\n"}) {
            Answer a = exchange(validate("Transfer-Encoding: chunked\r\n", body));
            assertEquals(400, a.status(), a.head() + "\n" + a.body());
            assertTrue(a.closed(), "where the body ends is unknown: the connection is closed, not read on");
            assertTrue(a.body().contains("the chunked body is malformed"), a.body());
            assertFalse(a.body().contains("radix") || a.body().contains("xxx") || a.body().contains("\\u0001"),
                    "the detail says what is wrong, not what Helidon tripped over: " + a.body());
        }
    }

    /**
     * A chunk size that is no non-negative 32-bit hexadecimal number (past 32 bits, negative, signed,
     * not hexadecimal) is answered at once, whether or not anything follows it, and the connection
     * closed: Helidon's decoder failed on the line and then waited for a next one the client never
     * sent, so such a request sat unanswered until the idle timeout (120 s). Also when the route
     * answers without reading the body (no token: {@code 401}).
     */
    @Test
    void aChunkSizeThatIsNoNonNegativeHexNumberIsAnsweredAtOnceAndTheConnectionIsClosed() throws IOException {
        for (String size : new String[] {"FFFFFFFFFFFFFFFFFFFF", "FFFFFFFF", "80000000", "-5", "0x5", "zz"}) {
            for (String rest : new String[] {"", "[a]\r\n0\r\n\r\n"}) {
                Answer a = exchange(validate("Transfer-Encoding: chunked\r\n", size + "\r\n" + rest));
                assertEquals(400, a.status(), size + ": " + a.head() + "\n" + a.body());
                assertTrue(a.body().contains("the chunked body is malformed"), a.body());
                assertTrue(a.closed(), size + ": where the body ends is unknown: the connection is closed");
            }
            String unauthenticated = "POST /api/v1/config/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/toml\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n";
            Answer a = exchange(unauthenticated);
            assertEquals(401, a.status(), size + ": " + a.head() + "\n" + a.body());
            assertTrue(a.closed(), size + ": the body the route did not read cannot be read on: the connection is closed");
        }
    }

    /**
     * A chunked body over the API's 256 KiB is answered {@code 413} with {@code Connection: close},
     * and the connection closed once the body's end is read.
     */
    @Test
    void aChunkedBodyOverTheLimitIs413WithConnectionCloseAndTheConnectionIsClosed() throws IOException {
        String chunk = "#".repeat(300 * 1024);
        Answer a = exchange(validate("Transfer-Encoding: chunked\r\n",
                Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n"));
        assertRefused(a, 413, "256 KiB");
        assertTrue(a.head().toLowerCase().contains("connection: close"), a.head());
        assertTrue(a.closed(), "the connection is closed after the 413");
    }

    /**
     * After a {@code 413} the server reads on at most 1 MiB of the body, then closes the connection:
     * it used to read whatever followed, up to the listener's 16 MiB, for as long as the client sent.
     */
    @Test
    void afterA413TheRestOfAChunkedBodyIsReadOnNoFurtherThanItsBound() throws IOException {
        int total = 15 * 1024 * 1024;
        byte[] chunk = ("10000\r\n" + "#".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(validate("Transfer-Encoding: chunked\r\n", "").getBytes(StandardCharsets.UTF_8));
            long sent = 0;
            for (int i = 0; i < 5; i++) {
                out.write(chunk);
                sent += 0x10000;
            }
            out.flush();
            String head = readHead(s.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 413"), head);
            assertTrue(head.toLowerCase().contains("connection: close"), head);
            IOException refused = null;
            try {
                while (sent < total) {
                    out.write(chunk);
                    sent += 0x10000;
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                refused = e;
            }
            assertTrue(refused != null && sent < total, "the server stopped reading the body: "
                    + sent + " of " + total + " bytes sent");
        }
    }

    /**
     * A body read to its end leaves the connection open for the next request: requests sent one
     * after another on one connection (pipelined, with a {@code Content-Length} body, a chunked one,
     * and one without a body) are each answered, in order, and the connection stays open.
     */
    @Test
    void requestsWithBodiesReadToTheirEndAreAnsweredInTurnOnOneKeptAliveConnection() throws IOException {
        String valid = ConfigCorpus.VALID.getFirst();
        byte[] bytes = valid.getBytes(StandardCharsets.UTF_8);
        String pipelined = validate("Content-Length: " + bytes.length + "\r\n", valid)
                + validate("Transfer-Encoding: chunked\r\n", Integer.toHexString(bytes.length) + "\r\n" + valid + "\r\n0\r\n\r\n")
                + "GET /api/v1/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(pipelined.getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                String head = readHead(in);
                assertTrue(head.startsWith("HTTP/1.1 200"), "answer " + (i + 1) + ": " + head);
                assertFalse(head.toLowerCase().contains("connection: close"), head);
                Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
                assertTrue(m.find(), "answer " + (i + 1) + " has a length: " + head);
                in.readNBytes(Integer.parseInt(m.group(1)));
            }
        }
    }

    /**
     * A route that refuses a request before reading its body ({@code 415} for a type it does not
     * take) answers a chunk size that is no number at once and closes the connection, like one
     * that reads the body: the body left unread is read on within its bound, never by Helidon,
     * whose reading waited for the client until the idle timeout.
     */
    @Test
    void aMalformedChunkSizeLeftUnreadByARefusingRouteIsAnsweredAndTheConnectionClosedAtOnce() throws IOException {
        String request = "POST /api/v1/config/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n";
        Answer a = exchange(request);
        assertEquals(415, a.status(), a.head() + "\n" + a.body());
        assertTrue(a.closed(), "the body cannot be read on: the connection is closed");
    }

    /**
     * A request that waits for {@code 100 Continue} before sending its body, answered without it
     * ({@code 401} from a filter, {@code 415} from a route), is not sent {@code 100 Continue} after
     * its answer: that interim answer would be read as the answer to the client's next request on
     * the connection, and the server would wait for a body the client, answered, does not send. The
     * connection is closed after the answer instead. A request let through gets its {@code 100
     * Continue} and is served as before.
     */
    @Test
    void aRequestExpectingContinueThatIsAnsweredWithoutItsBodyGetsNoContinueAfterTheAnswerAndTheConnectionIsClosed()
            throws IOException {
        for (String headers : new String[] {"", "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"}) {
            try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write(("POST /api/v1/config/validate HTTP/1.1\r\nHost: x\r\n" + headers
                        + "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                boolean closed;
                try {
                    for (int b; (b = s.getInputStream().read()) >= 0; ) {
                        got.write(b);
                    }
                    closed = true;
                } catch (SocketTimeoutException e) {
                    closed = false;
                }
                String text = got.toString(StandardCharsets.ISO_8859_1);
                assertTrue(text.startsWith("HTTP/1.1 4"), text);
                assertFalse(text.contains("100 Continue"), "no interim answer after the final one: " + text);
                assertTrue(closed, "the body never came: the connection is closed after the answer: " + text);
            }
        }
        String valid = ConfigCorpus.VALID.getFirst();
        byte[] bytes = valid.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(validate("Expect: 100-continue\r\nContent-Length: " + bytes.length + "\r\n", "")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            String interim = readHead(in);
            assertTrue(interim.startsWith("HTTP/1.1 100"), interim);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                fail("closed before the answer's head ended: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
