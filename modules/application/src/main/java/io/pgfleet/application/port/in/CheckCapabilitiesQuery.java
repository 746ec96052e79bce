package io.pgfleet.application.port.in;

import io.pgfleet.domain.capability.CapabilityRefusal;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.layer.LayerId;

import java.util.List;

/**
 * Checks, without storing anything, the effective documents a candidate version of a layer would
 * give its members against what their agents reported they can run: what a publish does before it
 * stores, for callers that deliver a version in steps (a staged rollout) and must check it first.
 */
public interface CheckCapabilitiesQuery {

    /**
     * Checks a candidate version of the fleet layer or a group's layer.
     *
     * @param layer    the layer
     * @param document its candidate document
     * @return whether every member reached can run it
     */
    Verdict check(LayerId layer, ConfigDocument document);

    /** The outcomes. */
    sealed interface Verdict {
        /**
         * No member known to lack anything.
         *
         * @param unknown      the first members whose agents never reported facts
         * @param unknownTotal how many
         */
        record Fits(List<CollectorId> unknown, int unknownTotal) implements Verdict {
            /** Copies the list. */
            public Fits {
                unknown = List.copyOf(unknown);
            }
        }

        /** @param refusal the members lacking something, as a publish would be refused */
        record Lacks(CapabilityRefusal refusal) implements Verdict {
        }

        /**
         * The candidate cannot be checked: the group does not exist, or the document or a member's
         * effective document is invalid (a publish would say why).
         *
         * @param reason why
         */
        record NotCheckable(String reason) implements Verdict {
        }
    }
}
