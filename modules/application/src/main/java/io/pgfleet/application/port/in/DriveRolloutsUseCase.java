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

    /**
     * Pauses every running rollout, at the first start on a database restored from a backup, before
     * any instance drives: the current wave's deadline and bake were counted from times before the
     * restore, and the apply reports its members sent since the backup are gone, so the next round
     * would roll back a wave whose members may all run the staged version. Each says why in its
     * timeline and the audit trail ({@code rollout.pause}); an operator resumes it once the members
     * have reported again, or aborts it. Paused, completed and rolled-back rollouts stay as they are.
     *
     * @return how many rollouts it paused
     */
    int holdAfterRestore();

    /** Gives up the lease (the instance is stopping), so that another instance drives at once. */
    void stepDown();
}
