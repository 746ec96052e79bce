package io.pgfleet.application.port.in;

import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.identity.Actor;

import java.util.Map;
import java.util.Optional;

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
    default RegistrationResult register(RegistrationCredential credential, String name, String hostname,
                                        Map<String, String> labels, Actor actor) {
        return register(credential, name, hostname, labels, Optional.empty(), actor);
    }

    /**
     * Registers once per idempotency key: a retry with the key of a registration that succeeded
     * within the keys' retention (its answer was lost) creates nothing and answers the same
     * collector with a fresh pair of tokens, the refresh token of the earlier answer revoked.
     *
     * @param credential the registration secret or an enrolment token
     * @param name       display name
     * @param hostname   the host it runs on
     * @param labels     labels
     * @param key        the client's key for this registration, empty for none (every call registers)
     * @param actor      the caller's address
     * @return the collector and its tokens, replayed, refused, or the key was used for another request
     */
    RegistrationResult register(RegistrationCredential credential, String name, String hostname,
                                Map<String, String> labels, Optional<IdempotencyKey> key, Actor actor);

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
         * The idempotency key named a registration that succeeded: nothing was created, the same
         * collector is answered with a fresh pair of tokens (the earlier answer's refresh token is
         * revoked; its short-lived access token expires on its own).
         *
         * @param collector the collector the key's first registration created or enrolled
         * @param tokens    its new tokens
         */
        record Replayed(Collector collector, TokenPair tokens) implements RegistrationResult {
        }

        /**
         * The idempotency key was used with another request (another name, host, labels or
         * expected collector) within its retention: nothing happened.
         *
         * @param reason what differs
         */
        record KeyReused(String reason) implements RegistrationResult {
        }

        /**
         * Refused: wrong secret, unknown, used or expired enrolment token.
         *
         * @param reason why
         */
        record Refused(String reason) implements RegistrationResult {
        }

        /**
         * The idempotency key named a registration that succeeded, but what it registered is no
         * longer this caller's to take: its collector was revoked or is gone, or the session its
         * answer opened has ended (the collector was enrolled on another host since). Nothing
         * happened; the key will never succeed again, so a client stops retrying with it.
         *
         * @param reason which of these
         */
        record KeyOutlived(String reason) implements RegistrationResult {
        }
    }
}
