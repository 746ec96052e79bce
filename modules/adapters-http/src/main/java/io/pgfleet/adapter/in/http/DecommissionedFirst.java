package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.DecommissionedQuery;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A route about one live collector answers a decommissioned collector's id with {@code 410
 * collector-decommissioned} before anything the request carries is judged: a body, a header, a query
 * parameter. Otherwise a request with a flaw would be told about the flaw (a {@code 400}, {@code 415},
 * {@code 412}), and a client that fixed it would only then learn that the request could never succeed.
 *
 * <p>The use cases answer a decommissioned id themselves, whatever they are given (an invalid
 * document, a missing version); this covers the refusals a handler makes before it calls one. The
 * decommission time is read only when such a refusal was made, never for a request that is served.
 *
 * <p>What keeps its own answer: authentication and authorisation (decided before the route runs), a
 * body over the size limit ({@code 413}: it is not read), a request whose body cannot be read to its
 * end (a malformed chunked body, one shorter than its {@code Content-Length}: where the request ends
 * is unknown, so it is not answered as a request about the collector, and the connection is closed),
 * and what is refused before routing (a malformed path, query or framing), which names no route.
 */
final class DecommissionedFirst {

    private final DecommissionedQuery decommissioned;

    DecommissionedFirst(DecommissionedQuery decommissioned) {
        this.decommissioned = Objects.requireNonNull(decommissioned, "decommissioned");
    }

    /**
     * Marks a route's handler as one about the live collector its path's {@code {id}} names: the
     * route table ({@link ApiRoutes}) then runs it, and its check of the query, through {@link #run}.
     *
     * @param handler the route's handler
     * @return the marked handler
     */
    static Handler of(Handler handler) {
        return new Route(handler);
    }

    /**
     * A handler marked by {@link #of}.
     *
     * @param handler the route's own handler
     */
    record Route(Handler handler) implements Handler {
        Route {
            Objects.requireNonNull(handler, "handler");
        }

        @Override
        public void handle(ServerRequest req, ServerResponse res) throws Exception {
            handler.handle(req, res);
        }
    }

    /** Work on a request that may refuse it by throwing. */
    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }

    /**
     * Runs the work on a request about collector {@code id}; should it refuse the request for what
     * the request carries while the id is a decommissioned collector's, the answer is that
     * collector's {@code 410} instead.
     *
     * @param res  the answer, not yet sent when the work refuses
     * @param id   the collector the request is about
     * @param work reads, checks and handles the request
     * @throws Exception what the work throws, or an {@link ApiException} with the {@code 410}
     */
    void run(ServerResponse res, CollectorId id, Work work) throws Exception {
        try {
            work.run();
        } catch (ApiException e) {
            throw judged(e) ? goneOr(res, id, e) : e;
        } catch (IllegalArgumentException e) {
            // Answered 400 with its message by the API's error handler: a value of the request was refused.
            throw goneOr(res, id, e);
        }
    }

    private Exception goneOr(ServerResponse res, CollectorId id, Exception refusal) {
        if (res.isSent()) {
            return refusal;
        }
        Optional<Instant> at = decommissioned.decommissionedAt(id);
        return at.<Exception>map(t -> new ApiException(AuthHttpService.decommissioned(Status.GONE_410, id, t)))
                .orElse(refusal);
    }

    /** Whether a refusal judged what the request carries, rather than who sent it or how much. */
    static boolean judged(ApiException e) {
        int code = e.problem().status().code();
        return !e.closesConnection() && code >= 400 && code < 500 && code != Status.UNAUTHORIZED_401.code()
                && code != Status.FORBIDDEN_403.code() && code != Status.REQUEST_ENTITY_TOO_LARGE_413.code()
                && code != Status.TOO_MANY_REQUESTS_429.code();
    }
}
