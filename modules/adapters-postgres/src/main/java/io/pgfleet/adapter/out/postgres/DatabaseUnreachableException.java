package io.pgfleet.adapter.out.postgres;

/**
 * The database could not be connected to while the server was starting: nothing listens at the
 * address, the host is unknown, the login or password is refused, or the database does not exist.
 * Its message says which, in the driver's words, in one line: the operator's remedy is a setting,
 * not a stack trace.
 */
public final class DatabaseUnreachableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message where, as whom, and the driver's reason, one line
     * @param cause   the underlying failure
     */
    public DatabaseUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
