package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ErrorHandler;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Closes the connection after a response when the request asked for it ({@code Connection: close})
 * or the response says so (the API's {@code 503}s, which send the client to a fresh connection).
 *
 * <p>RFC 9112 §9.6: a server that sees {@code close} in a request's {@code Connection} header
 * closes the connection after its response. Helidon 4.1 writes {@code Connection: close} on the
 * response but then waits for another request on the same connection until the idle timeout (its
 * issue #12324, fixed only in later 4.x releases): a client that reads to end of stream hangs, and
 * a {@code 503} that promises "reconnect" leaves the client on this instance. Helidon's routing
 * passes a {@link CloseConnectionException} through its error handling and closes the socket on
 * it, so one is thrown once the response is sent: from a filter for routes that answered, and from
 * every error handler (those run after the filters have returned).
 *
 * <p>It also reads what a route left unread of a request body, up to a bound, instead of Helidon
 * ({@link UnreadBodies}); a body that does not end within it closes the connection after the answer.
 */
final class ConnectionClose implements Filter {

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        sayClose(req, res);
        chain.proceed();
        closeIfAsked(req, res);
        if (res.isSent() && !UnreadBodies.drain(req)) {
            // What the route left of the body is read here rather than by Helidon, whose reading can
            // hang on a malformed chunk and has no bound below the listener's 16 MiB (UnreadBodies):
            // a body that does not end within the bound is no reason to read on.
            throw new CloseConnectionException("request body not read to its end");
        }
    }

    /**
     * An error handler that closes the connection after its answer when the request or the
     * answer says {@code Connection: close}.
     */
    static <T extends Throwable> ErrorHandler<T> closing(ErrorHandler<T> handler) {
        return (req, res, e) -> {
            // An error answer starts from fresh headers.
            sayClose(req, res);
            handler.handle(req, res, e);
            closeIfAsked(req, res);
            if (res.isSent() && !UnreadBodies.drain(req)) {
                // As after a route's answer (filter): the body is read here within its bound, never by Helidon.
                throw new CloseConnectionException("request body not read to its end");
            }
        };
    }

    /**
     * The answer to a request that asks to close says so too: Helidon recognises only the exact
     * value {@code close} and answers {@code Connection: keep-alive} to {@code Close}, on a
     * connection that is about to be closed.
     */
    private static void sayClose(ServerRequest req, ServerResponse res) {
        if (saysClose(req.headers())) {
            res.header(HeaderNames.CONNECTION, "close");
        }
    }

    private static void closeIfAsked(ServerRequest req, ServerResponse res) {
        if (!res.isSent() || !(saysClose(req.headers()) || saysClose(res.headers()))) {
            return;
        }
        // A body left unread in the socket's buffer makes closing reset the connection, and a
        // reset can discard the answer before the client reads it: read what is left first, up to
        // a bound (a client gone, a broken body or one past the bound: close all the same).
        UnreadBodies.drain(req);
        throw new CloseConnectionException("Connection: close");
    }

    /** Whether a {@code Connection} header lists {@code close} (a comma-separated, case-insensitive list). */
    static boolean saysClose(Headers headers) {
        if (!headers.contains(HeaderNames.CONNECTION)) {
            return false;
        }
        for (String value : headers.get(HeaderNames.CONNECTION).allValues(true)) {
            if (value.trim().equalsIgnoreCase("close")) {
                return true;
            }
        }
        return false;
    }
}
