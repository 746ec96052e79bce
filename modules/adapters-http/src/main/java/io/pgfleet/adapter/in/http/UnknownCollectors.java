package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;

/**
 * The answers of every per-collector route whose id finds no live collector: {@code 404
 * collector-not-found} for an id no collector ever had, {@code 410 collector-decommissioned} for a
 * decommissioned one's. A {@code 404} would read as "never existed" and send an operator after a
 * re-creation or re-enrolment that cannot be. The use cases' results say which of the two an id
 * is (their {@code CollectorNotFound} and {@code Decommissioned} cases); these only word them.
 */
final class UnknownCollectors {

    private UnknownCollectors() {
    }

    /** Sends the answer for {@code id}, which no collector ever had. */
    static void notFound(ServerResponse res, CollectorId id) {
        notFound(res, id, "");
    }

    /**
     * Like {@link #notFound(ServerResponse, CollectorId)}, with a hint added to the detail.
     *
     * @param hint what to do about an unknown id, appended after "; " (empty for none)
     */
    static void notFound(ServerResponse res, CollectorId id, String hint) {
        Problem.notFound(ProblemType.COLLECTOR_NOT_FOUND, "no collector has the id '" + id + "'"
                + (hint.isEmpty() ? "" : "; " + hint)).send(res);
    }

    /** Sends the answer for {@code id}, a collector's decommissioned at {@code at}. */
    static void gone(ServerResponse res, CollectorId id, Instant at) {
        AuthHttpService.decommissioned(Status.GONE_410, id, at).send(res);
    }
}
