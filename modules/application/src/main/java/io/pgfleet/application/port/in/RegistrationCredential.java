package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.CollectorId;

import java.util.Objects;
import java.util.Optional;

/**
 * What an agent proves when it registers.
 */
public sealed interface RegistrationCredential {

    /**
     * The fleet-wide registration secret: registers a new collector.
     *
     * @param secret the secret
     */
    record Secret(String secret) implements RegistrationCredential {
        @Override
        public String toString() {
            return "Secret[***]";
        }
    }

    /**
     * A one-time enrolment token: claims the pre-provisioned collector it was issued for.
     *
     * @param token        the token
     * @param forCollector the collector the agent already is, when it has an id: a token issued for
     *                     another collector is then refused and stays unused
     */
    record EnrolmentToken(String token, Optional<CollectorId> forCollector) implements RegistrationCredential {
        /** Requires the expectation, possibly empty. */
        public EnrolmentToken {
            Objects.requireNonNull(forCollector, "forCollector");
        }

        /**
         * A token from an agent without an id yet.
         *
         * @param token the token
         */
        public EnrolmentToken(String token) {
            this(token, Optional.empty());
        }

        @Override
        public String toString() {
            return "EnrolmentToken[***" + forCollector.map(c -> " for " + c.value()).orElse("") + "]";
        }
    }
}
