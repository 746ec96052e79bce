package io.pgfleet.domain.capability;

/**
 * What a change does with members that lack what their new effective configuration needs.
 */
public enum CapabilityMode {
    /** Refuse the change, naming them (the default). */
    CHECK,
    /** Accept it and mark them in the fleet view ({@code ?force=true}, operators). */
    FORCE
}
