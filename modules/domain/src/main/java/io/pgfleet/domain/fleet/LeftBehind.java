package io.pgfleet.domain.fleet;

import java.util.Objects;

/**
 * A collector a rolled-back rollout could not take back: its effective revision is still composed
 * from the staged version, which is no longer any layer's current version. It stays so until its
 * own document is fixed and published (see the rollout's {@code not_rolled_back}).
 *
 * @param rollout the rolled-back rollout
 * @param staged  the staged version its effective revision still names, e.g. {@code group/prod@4}
 */
public record LeftBehind(long rollout, String staged) {

    /** Requires a rollout and the version. */
    public LeftBehind {
        Objects.requireNonNull(staged, "staged");
        if (rollout < 1) {
            throw new IllegalArgumentException("a rollout id is positive, got " + rollout);
        }
    }

    /**
     * What the fleet view says of it.
     *
     * @return one sentence naming the rollout, the version and what to do
     */
    public String reason() {
        return "rollout " + rollout + " was rolled back but could not take this collector back: its effective "
                + "configuration is still composed from " + staged + ", the staged version, which is no longer current;"
                + " publish an own document that composes with the current version";
    }
}
