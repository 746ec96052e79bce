package io.pgfleet.adapter.out.postgres;

/**
 * The connection to the database was lost while the server was starting, after it had been made
 * (PostgreSQL restarted or failed over, an administrator ended the session, the network path was
 * reset): the settings are right. Its message says so in one line, with the state the schema was
 * left in and what to do; not to be confused with {@link DatabaseUnreachableException}, whose remedy
 * is a setting.
 */
public final class DatabaseConnectionLostException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message where, during what, the driver's reason, the schema's state and the remedy, one line
     * @param cause   the underlying failure
     */
    public DatabaseConnectionLostException(String message, Throwable cause) {
        super(message, cause);
    }
}
