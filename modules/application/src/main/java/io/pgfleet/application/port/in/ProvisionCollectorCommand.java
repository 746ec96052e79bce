package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.util.Map;
import java.util.Objects;

/**
 * Make a collector known before its agent exists, so that its configuration can be written first.
 *
 * @param collectorId the id the agent will use
 * @param name        the name shown in the fleet view
 * @param hostname    the database host, empty when not yet known
 * @param labels      free-form labels
 * @param actor       who provisions it
 */
public record ProvisionCollectorCommand(CollectorId collectorId, String name, String hostname,
                                        Map<String, String> labels, Actor actor) {

    /** Requires every part; the name defaults to the id when blank. */
    public ProvisionCollectorCommand {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(actor, "actor");
        labels = Map.copyOf(Objects.requireNonNull(labels, "labels"));
        if (name == null || name.isBlank()) {
            name = collectorId.value();
        }
    }
}
