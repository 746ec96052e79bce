package io.pgfleet.application.port.in;

/**
 * Moves active rollouts on: judges each one's current wave and starts the next wave, completes or
 * rolls back. Called periodically by every server instance; only the instance that holds the
 * driver's lease drives.
 */
public interface DriveRolloutsUseCase {

    /**
     * One round.
     *
     * @return whether this instance drove, and how many rollouts changed
     */
    Round drive();

    /**
     * What a round did.
     *
     * @param leading whether this instance holds the lease
     * @param changed how many rollouts changed
     */
    record Round(boolean leading, int changed) {
    }

    /** Gives up the lease (the instance is stopping), so that another instance drives at once. */
    void stepDown();
}
