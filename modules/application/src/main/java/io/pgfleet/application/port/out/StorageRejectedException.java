package io.pgfleet.application.port.out;

/**
 * Storage is reachable but refused a value of the request (a character or a number it cannot
 * hold, a constraint): retrying the same request fails the same way, so driving adapters answer
 * it as a bad request, not as "service unavailable". Nothing of the attempted write was kept.
 */
public class StorageRejectedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Wraps the refusal.
     *
     * @param message what was being done and what the database said
     * @param cause   the underlying failure
     */
    public StorageRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
