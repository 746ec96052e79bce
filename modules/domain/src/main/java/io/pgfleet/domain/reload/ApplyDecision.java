package io.pgfleet.domain.reload;

/**
 * Whether a fetched configuration version is applied.
 */
public sealed interface ApplyDecision {

    /** Newer than what runs and not known to fail: apply it. */
    record Apply() implements ApplyDecision {
    }

    /**
     * Not applied.
     *
     * @param reason why, for the log
     */
    record Skip(String reason) implements ApplyDecision {
    }
}
