package io.pgfleet.domain.fleet;

/**
 * The outcome of an agent's attempt to apply a configuration version.
 */
public enum ApplyStatus {
    /** The version runs. */
    APPLIED,
    /** The version could not be applied; the agent runs on the previous one. */
    FAILED
}
