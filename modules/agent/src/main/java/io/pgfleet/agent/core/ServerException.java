package io.pgfleet.agent.core;

/**
 * The server could not be used for a request; {@link #kind()} says what the agent should do.
 */
public final class ServerException extends Exception {

    /** What went wrong, as far as the agent's reaction goes. */
    public enum Kind {
        /** Unreachable, timed out, or a 5xx: retry later, unchanged. */
        UNAVAILABLE,
        /** 401 even after a refresh: back off and retry. */
        UNAUTHORIZED,
        /** The identity itself is refused (refresh token revoked or unknown): needs an operator. */
        IDENTITY_REFUSED,
        /** 413: the request is too large and must be made smaller. */
        TOO_LARGE,
        /** Any other 4xx: the same request will never be accepted. */
        REJECTED
    }

    private final Kind kind;

    /**
     * An exception.
     *
     * @param kind    what went wrong
     * @param message in plain words
     * @param cause   the cause, or null
     */
    public ServerException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /**
     * What went wrong.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }
}
