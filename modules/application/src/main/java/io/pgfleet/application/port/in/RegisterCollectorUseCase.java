package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.identity.Actor;

import java.util.Map;

/**
 * An agent registers itself and obtains its identity and tokens.
 */
public interface RegisterCollectorUseCase {

    /**
     * Registers.
     *
     * @param credential the registration secret or an enrolment token
     * @param name       display name
     * @param hostname   the host it runs on
     * @param labels     labels
     * @param actor      the caller's address
     * @return the collector and its tokens, or refused
     */
    RegistrationResult register(RegistrationCredential credential, String name, String hostname,
                                Map<String, String> labels, Actor actor);

    /** The outcome of a registration. */
    sealed interface RegistrationResult {
        /**
         * Registered.
         *
         * @param collector the collector
         * @param tokens    its tokens
         */
        record Registered(Collector collector, TokenPair tokens) implements RegistrationResult {
        }

        /**
         * Refused: wrong secret, unknown, used or expired enrolment token.
         *
         * @param reason why
         */
        record Refused(String reason) implements RegistrationResult {
        }
    }
}
