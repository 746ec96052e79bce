package io.pgfleet.domain.config;

/**
 * The number of a configuration revision: 1 for a collector's first configuration, then 2, 3 …
 * with neither gaps nor duplicates.
 *
 * @param value the number, at least 1
 */
public record ConfigVersion(int value) implements Comparable<ConfigVersion> {

    /** Versions start at 1. */
    public ConfigVersion {
        if (value < 1) {
            throw new IllegalArgumentException("configuration versions start at 1, got " + value);
        }
    }

    /**
     * The version of a collector's first configuration.
     *
     * @return version 1
     */
    public static ConfigVersion first() {
        return new ConfigVersion(1);
    }

    /**
     * Parses untrusted input such as a path segment.
     *
     * @param text decimal digits
     * @return the version
     * @throws IllegalArgumentException when the text is not a positive integer
     */
    public static ConfigVersion parse(String text) {
        try {
            return new ConfigVersion(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a configuration version is a positive integer, got '" + text + "'");
        }
    }

    /**
     * The version that follows this one.
     *
     * @return this + 1
     */
    public ConfigVersion next() {
        return new ConfigVersion(Math.addExact(value, 1));
    }

    /**
     * Whether this version is newer than another.
     *
     * @param other the other version
     * @return true when this one is greater
     */
    public boolean isNewerThan(ConfigVersion other) {
        return value > other.value;
    }

    @Override
    public int compareTo(ConfigVersion other) {
        return Integer.compare(value, other.value);
    }

    @Override
    public String toString() {
        return Integer.toString(value);
    }
}
