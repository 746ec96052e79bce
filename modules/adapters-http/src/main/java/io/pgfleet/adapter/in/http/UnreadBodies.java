package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads what is left of a request body after its answer, up to a bound, so that the connection can
 * serve a next request or be closed without losing the answer.
 *
 * <p>Helidon reads a body the route left unread to its end before the next request (up to the
 * listener's 16 MiB), with its own {@code consume()}, which closes Helidon's body stream when done.
 * That close reads one more chunk of a chunked body, also after the chunk that failed to decode: a
 * chunk-size line that is no non-negative 32-bit hexadecimal number ({@code FFFFFFFFFFFFFFFFFFFF},
 * {@code -5}) makes the decoder throw after it consumed the line, and the close then waits for a
 * next line the client never sends, until the idle timeout (120 s), the answer unsent or the
 * connection held. This reads the stream itself and never closes it: a body that does not end
 * within {@link #DRAIN_BYTES} more bytes, or whose framing breaks, is not read on, and the
 * connection is closed instead.
 *
 * <p>Closing a connection whose client is still sending makes the kernel reset it, and a reset can
 * discard an answer the client has not read yet: reading a bounded remainder first lets a client
 * that sent a little too much (a push just over 256 KiB) see its {@code 413}, while a client
 * sending without end is cut off after the bound rather than read for as long as it sends.
 *
 * <p>A client that sent {@code Expect: 100-continue} holds its body back until it is asked for
 * it, and asking Helidon for the body sends {@code 100 Continue}, after the final answer here: that
 * body is not read on, and the connection is closed.
 */
final class UnreadBodies {

    /**
     * The most of a body read on after its answer: 1 MiB. Helidon reads a chunked body a chunk at a
     * time, so the chunk that passes the bound is read whole (a chunk is at most the listener's
     * 16 MiB).
     */
    static final int DRAIN_BYTES = 1024 * 1024;

    private UnreadBodies() {
    }

    /**
     * Reads what the route left of the request's body.
     *
     * @param req the request, answered
     * @return whether the body ended within the bound, so the connection can serve a next request;
     *         {@code false} when it must be closed (the route began the body and left it, the body
     *         goes on past the bound, or its framing is broken)
     */
    static boolean drain(ServerRequest req) {
        if (!req.content().hasEntity() || req.content().consumed()) {
            return true;
        }
        if (expectsContinue(req)) {
            // The client waits for "100 Continue" before it sends the body, and asking Helidon for the body
            // sends it: after the final answer, where the client would read it as the answer to its next
            // request, and the server would then wait for a body the client, answered, does not send
            // (RFC 9110 §10.1.1). The connection is closed instead (the route began the body and stopped:
            // closed all the same).
            return false;
        }
        InputStream in;
        try {
            in = req.content().inputStream();
        } catch (IllegalStateException e) {
            // The route began reading and stopped (it refused the body): where it stands is unknown here.
            return false;
        }
        return drain(in);
    }

    /** Whether the request asks for {@code 100 Continue} before sending its body. */
    private static boolean expectsContinue(ServerRequest req) {
        return req.headers().contains(io.helidon.http.HeaderNames.EXPECT)
                && req.headers().get(io.helidon.http.HeaderNames.EXPECT).allValues(true).stream()
                        .anyMatch(v -> v.trim().equalsIgnoreCase("100-continue"));
    }

    /**
     * Reads on a body stream, never closing it (see the class description).
     *
     * @param in Helidon's body stream
     * @return whether the body ended within the bound
     */
    static boolean drain(InputStream in) {
        byte[] buffer = new byte[16 * 1024];
        long read = 0;
        try {
            while (read <= DRAIN_BYTES) {
                int n = in.read(buffer);
                if (n < 0) {
                    return true;
                }
                read += n;
            }
            return false;
        } catch (IOException | RuntimeException e) {
            // A malformed chunk, a client gone, the listener's own limit: nothing more to read.
            return false;
        }
    }
}
