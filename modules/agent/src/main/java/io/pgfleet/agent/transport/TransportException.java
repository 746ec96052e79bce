package io.pgfleet.agent.transport;

/**
 * A request to the server failed: unreachable, refused, or an unexpected answer.
 */
public final class TransportException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean unauthorized;

    /**
     * A failure.
     *
     * @param message      what happened
     * @param cause        the underlying failure, if any
     * @param unauthorized whether the server refused the agent's credentials
     */
    public TransportException(String message, Throwable cause, boolean unauthorized) {
        super(message, cause);
        this.unauthorized = unauthorized;
    }

    /**
     * Whether the server refused the agent's credentials even after a refresh.
     *
     * @return true for a persistent 401
     */
    public boolean unauthorized() {
        return unauthorized;
    }
}
