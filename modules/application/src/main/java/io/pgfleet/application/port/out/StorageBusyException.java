package io.pgfleet.application.port.out;

/**
 * The database answers, but every connection of this instance's pool was in use for longer than
 * the pool's wait: the request was not carried out. Unlike a lost database (the parent type),
 * this is load; driving adapters answer "too many requests, try again after a pause" rather than
 * "service unavailable". It extends {@link StorageUnavailableException} so that every caller that
 * treats storage as temporarily unusable keeps doing so.
 */
public class StorageBusyException extends StorageUnavailableException {

    private static final long serialVersionUID = 1L;

    /**
     * Wraps the pool's refusal.
     *
     * @param message what was being done
     * @param cause   the pool's timeout
     */
    public StorageBusyException(String message, Throwable cause) {
        super(message, cause);
    }
}
