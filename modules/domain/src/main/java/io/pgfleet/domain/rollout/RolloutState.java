package io.pgfleet.domain.rollout;

/**
 * Where a rollout stands.
 */
public enum RolloutState {
    /** Waves start and are judged. */
    RUNNING,
    /** An operator stopped the progression; nothing is judged until it resumes. */
    PAUSED,
    /** Every wave passed (or an operator promoted it): the staged version is the layer's current version. */
    COMPLETED,
    /** A wave failed (or an operator aborted): the previous version was published again. */
    ROLLED_BACK;

    /**
     * Whether the rollout still holds its layer.
     *
     * @return true while running or paused
     */
    public boolean active() {
        return this == RUNNING || this == PAUSED;
    }

    /**
     * The name in the API and the store.
     *
     * @return e.g. {@code rolled_back}
     */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Reads a label back.
     *
     * @param label e.g. {@code running}
     * @return the state
     * @throws IllegalArgumentException for anything else
     */
    public static RolloutState parse(String label) {
        for (RolloutState s : values()) {
            if (s.label().equals(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("a rollout state is running, paused, completed or rolled_back");
    }
}
