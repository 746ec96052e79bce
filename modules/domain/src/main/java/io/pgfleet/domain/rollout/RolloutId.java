package io.pgfleet.domain.rollout;

/**
 * The identity of a rollout: a positive number, assigned by the store.
 *
 * @param value the number
 */
public record RolloutId(long value) {

    /** Requires a positive number. */
    public RolloutId {
        if (value < 1) {
            throw new IllegalArgumentException("a rollout id is a positive number");
        }
    }

    /**
     * Reads an id as written in a path.
     *
     * @param text the digits
     * @return the id
     * @throws IllegalArgumentException when the text is not a positive number
     */
    public static RolloutId parse(String text) {
        if (text == null || !text.matches("[1-9][0-9]{0,17}")) {
            throw new IllegalArgumentException("a rollout id is a positive number");
        }
        return new RolloutId(Long.parseLong(text));
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
