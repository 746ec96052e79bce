package io.pgfleet.application.port.out;

/**
 * Storage could not be reached or failed mid-way; nothing of the attempted write was kept.
 * Driving adapters answer it as "service unavailable, try again".
 */
public class StorageUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Wraps the storage failure.
     *
     * @param message what was being done
     * @param cause   the underlying failure
     */
    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
