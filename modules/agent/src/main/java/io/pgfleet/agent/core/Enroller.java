package io.pgfleet.agent.core;

import java.util.Map;
import java.util.Optional;

/**
 * The agent's identity with the server: registration, and re-enrolment of an existing collector.
 */
public interface Enroller {

    /** How the agent proves who it is when it has no (usable) identity. */
    sealed interface Credential {
        /**
         * The fleet's registration secret: a new collector.
         *
         * @param secret the secret
         */
        record Secret(String secret) implements Credential {
            @Override
            public String toString() {
                return "Secret[***]";
            }
        }

        /**
         * A one-time enrolment token issued for one collector id.
         *
         * @param token the token
         */
        record Token(String token) implements Credential {
            @Override
            public String toString() {
                return "Token[***]";
            }
        }
    }

    /**
     * The collector id, empty before the first registration.
     *
     * @return the id
     */
    Optional<String> collectorId();

    /**
     * Registers (or re-binds) and keeps the new identity.
     *
     * @param credential the secret or token
     * @param name       display name
     * @param hostname   host name
     * @param labels     labels
     * @return the collector id the server bound this agent to
     * @throws ServerException when refused or unreachable
     */
    String register(Credential credential, String name, String hostname, Map<String, String> labels)
            throws ServerException;
}
