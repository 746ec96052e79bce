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

    /**
     * Answers a route that reads a collector's history (its versions, a diff, its samples) when
     * retention has purged that history: {@code 410 collector-purged}, saying when the collector was
     * decommissioned and when its history went. Asked before the request's query is judged, as the
     * {@code 410} of a decommissioned collector is: no fixed request could read what is gone. A
     * decommissioned collector whose history is still kept is served as before.
     *
     * @param res       the answer
     * @param decommissioned tells a purged collector
     * @param id        the collector the route reads
     * @return true when the answer was sent
     */
    static boolean purged(ServerResponse res, io.pgfleet.application.port.in.DecommissionedQuery decommissioned, CollectorId id) {
        java.util.Optional<io.pgfleet.domain.collector.CollectorTombstone> tombstone = decommissioned.purged(id);
        if (tombstone.isEmpty()) {
            return false;
        }
        Instant at = tombstone.get().decommissionedAt();
        Instant purgedAt = tombstone.get().purgedAt();
        new Problem(Status.GONE_410, ProblemType.COLLECTOR_PURGED, "Collector history purged", "collector '" + id
                + "' was decommissioned at " + HttpDates.json(at) + " and retention purged its history at "
                + HttpDates.json(purgedAt) + " (its versions, effective document, apply status and samples, kept as long"
                + " as the audit trail): nothing of it is left to read; its id is never bound again: register the host"
                + " under a new id (a new collector)",
                java.util.Map.of("decommissioned_at", HttpDates.json(at), "purged_at", HttpDates.json(purgedAt))).send(res);
        return true;
    }

    /** Sends the answer for {@code id}, a collector's decommissioned at {@code at}. */
    static void gone(ServerResponse res, CollectorId id, Instant at) {
        AuthHttpService.decommissioned(Status.GONE_410, id, at).send(res);
    }
}
