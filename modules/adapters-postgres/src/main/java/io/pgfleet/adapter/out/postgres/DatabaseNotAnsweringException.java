package io.pgfleet.adapter.out.postgres;

/**
 * The database stopped answering (a frozen host, a lost network path, PostgreSQL stopped with
 * {@code SIGSTOP}) while the server was starting: its message says so in one line, with what to do.
 */
public final class DatabaseNotAnsweringException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what did not answer, for how long, and the remedy, one line
     * @param cause   the underlying failure
     */
    public DatabaseNotAnsweringException(String message, Throwable cause) {
        super(message, cause);
    }
}
