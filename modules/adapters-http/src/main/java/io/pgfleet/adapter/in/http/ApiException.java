package io.pgfleet.adapter.in.http;

import io.helidon.webserver.http.ServerRequest;

import java.io.InputStream;

/** Ends a request with a problem detail; thrown from request parsing deep inside a handler. */
final class ApiException extends RuntimeException {

    private final transient Problem problem;
    private final boolean closesConnection;
    /** The body stream to read on before closing, when the route began it; see {@link #bodyTooLarge}. */
    private final transient InputStream unreadBody;
    private final boolean drainsBody;

    ApiException(Problem problem) {
        this(problem, false, null, false);
    }

    /**
     * A problem after which the connection cannot be read on (the request body's end is unknown):
     * the answer says {@code Connection: close} and the server closes it.
     */
    static ApiException closingConnection(Problem problem) {
        return new ApiException(problem, true, null, false);
    }

    /**
     * A body over the API's limit: the answer ({@code 413}) says {@code Connection: close}, then at
     * most {@link UnreadBodies#DRAIN_BYTES} more of the body are read, so that a client still sending
     * sees the answer rather than a reset, and the connection is closed. It is not read to its end:
     * that would have the server read whatever a client sends, for as long as it sends.
     *
     * @param limit      the largest body the route takes ({@link Bodies#MAX_BYTES}, or a rollout's
     *                   {@link Bodies#MAX_ROLLOUT_BYTES})
     * @param unreadBody the body's stream where the route stopped reading it, or {@code null} when
     *                   it refused the body unread (by its {@code Content-Length})
     */
    static ApiException bodyTooLarge(int limit, InputStream unreadBody) {
        return new ApiException(Bodies.tooLarge(limit), true, unreadBody, true);
    }

    private ApiException(Problem problem, boolean closesConnection, InputStream unreadBody, boolean drainsBody) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
        this.closesConnection = closesConnection;
        this.unreadBody = unreadBody;
        this.drainsBody = drainsBody;
    }

    Problem problem() {
        return problem;
    }

    boolean closesConnection() {
        return closesConnection;
    }

    /**
     * Reads on what is left of the request's body before the connection is closed, when this
     * problem asks for it ({@link #bodyTooLarge}); nothing otherwise.
     *
     * @param req the request, answered
     */
    void drainBody(ServerRequest req) {
        if (!drainsBody) {
            return;
        }
        if (unreadBody != null) {
            UnreadBodies.drain(unreadBody);
        } else {
            UnreadBodies.drain(req);
        }
    }
}
