package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.domain.collector.CollectorId;

import java.util.Objects;

/**
 * The one answer of every per-collector route whose id finds no live collector: {@code 404
 * collector-not-found} for an id no collector ever had, {@code 410 collector-decommissioned} for a
 * decommissioned one's. A {@code 404} would read as "never existed" and send an operator after a
 * re-creation or re-enrolment that cannot be; the use cases answer both alike ("nothing live has
 * the id", nothing changed, nothing audited), so they are told apart here, on that path only.
 */
final class UnknownCollectors {

    private final FleetQuery fleet;

    UnknownCollectors(FleetQuery fleet) {
        this.fleet = Objects.requireNonNull(fleet, "fleet");
    }

    /** Sends the answer for {@code id}, which no live collector has. */
    void send(ServerResponse res, CollectorId id) {
        send(res, id, "");
    }

    /**
     * Like {@link #send(ServerResponse, CollectorId)}, with a hint added to the {@code 404}'s detail.
     *
     * @param hint what to do about an unknown id, appended after "; " (empty for none)
     */
    void send(ServerResponse res, CollectorId id, String hint) {
        fleet.decommissionedAt(id).ifPresentOrElse(
                at -> AuthHttpService.decommissioned(Status.GONE_410, id, at).send(res),
                () -> Problem.notFound("collector-not-found", "no collector has the id '" + id + "'"
                        + (hint.isEmpty() ? "" : "; " + hint)).send(res));
    }
}
