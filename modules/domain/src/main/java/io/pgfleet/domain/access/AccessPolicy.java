package io.pgfleet.domain.access;

import io.pgfleet.domain.collector.CollectorId;

import java.util.Optional;

/**
 * The access model of pgfleet: {@code admin} > {@code operator} > {@code viewer}, and
 * {@code collector}, which reaches only its own configuration, status and samples.
 */
public final class AccessPolicy {

    private AccessPolicy() {
    }

    /**
     * Decides a request.
     *
     * @param principal who asks
     * @param operation what they ask for
     * @param target    the collector the request is about, if any
     * @return allowed or denied with a reason
     */
    public static AccessDecision decide(Principal principal, Operation operation, Optional<CollectorId> target) {
        if (principal.role() == Role.COLLECTOR) {
            if (!operation.openToTheCollectorItself()) {
                return new AccessDecision.Denied("collectors may only read their own configuration and report their "
                        + "own status and samples");
            }
            if (target.isEmpty() || !target.equals(principal.collectorId())) {
                return new AccessDecision.Denied("a collector may act on itself only");
            }
            return new AccessDecision.Allowed();
        }
        Optional<Role> least = operation.leastHumanRole();
        if (least.isEmpty()) {
            return new AccessDecision.Denied("only the collector itself may do this");
        }
        if (!principal.role().atLeast(least.get())) {
            return new AccessDecision.Denied("this needs the " + least.get().label() + " role; you are "
                    + principal.role().label());
        }
        return new AccessDecision.Allowed();
    }
}
