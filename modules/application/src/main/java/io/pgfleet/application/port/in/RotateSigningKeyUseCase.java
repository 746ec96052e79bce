package io.pgfleet.application.port.in;

import io.pgfleet.domain.identity.Actor;

import java.time.Duration;
import java.util.Objects;

/**
 * Makes a new token signing key current; tokens signed with older keys stay valid until they expire.
 */
public interface RotateSigningKeyUseCase {

    /**
     * Rotates, unless {@link #MAX_KEYS} keys are in use already (each verifies the tokens it
     * signed until they have expired): the key table, and the key set every instance reloads and
     * verifies against, stay bounded however often an administrator rotates.
     *
     * @param actor the administrator
     * @return the new key's id, or the refusal with when the oldest key retires
     */
    Rotation rotateSigningKey(Actor actor);

    /** The most signing keys in use at once: the signing one and those still verifying tokens. */
    int MAX_KEYS = 10;

    /** The outcome of a rotation. */
    sealed interface Rotation {
        /** @param kid the new key's id */
        record Rotated(String kid) implements Rotation {
            /** Requires the id. */
            public Rotated {
                Objects.requireNonNull(kid, "kid");
            }
        }

        /**
         * Refused, nothing changed: {@link #MAX_KEYS} keys are in use.
         *
         * @param keys       how many are in use
         * @param retryAfter how long until the oldest of them retires
         */
        record TooMany(int keys, Duration retryAfter) implements Rotation {
            /** Requires a positive wait. */
            public TooMany {
                Objects.requireNonNull(retryAfter, "retryAfter");
            }
        }
    }
}
