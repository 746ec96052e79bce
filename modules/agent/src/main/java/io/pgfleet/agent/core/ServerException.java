package io.pgfleet.agent.core;

/**
 * The server could not be used for a request; {@link #kind()} says what the agent should do.
 */
public final class ServerException extends Exception {

    /** What went wrong, as far as the agent's reaction goes. */
    public enum Kind {
        /**
         * Unreachable, timed out, a 5xx, 429 (the server is overloaded), or a 4xx that is not the
         * server's problem document (a proxy's, gateway's or WAF's page): retry later, unchanged.
         */
        UNAVAILABLE,
        /**
         * 401 even after a refresh: back off and retry. From a registration: the server refuses the
         * credential presented (a wrong registration secret; an enrolment token unknown, used, expired
         * or issued for another collector), which the same request never changes.
         */
        UNAUTHORIZED,
        /**
         * The identity itself is refused (refresh token revoked or unknown), in the server's own
         * problem document: needs an operator.
         */
        IDENTITY_REFUSED,
        /**
         * The identity is refused because its collector was decommissioned: its id is never bound
         * again, so no enrolment token can help; the message is the server's (when, what to do).
         */
        DECOMMISSIONED,
        /** 413: the request is too large and must be made smaller. */
        TOO_LARGE,
        /** Any other 4xx that is the server's problem document: the same request will never be accepted. */
        REJECTED
    }

    /** The longest {@code Retry-After} honoured: a server or proxy asking for more gets this (docs/agent.md). */
    public static final java.time.Duration MAX_RETRY_AFTER = java.time.Duration.ofMinutes(5);

    private final Kind kind;
    private final java.util.Optional<java.time.Duration> retryAfter;

    /**
     * An exception.
     *
     * @param kind    what went wrong
     * @param message in plain words
     * @param cause   the cause, or null
     */
    public ServerException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, java.util.Optional.empty());
    }

    /**
     * An exception whose answer asked the agent to wait ({@code Retry-After}).
     *
     * @param kind       what went wrong
     * @param message    in plain words
     * @param cause      the cause, or null
     * @param retryAfter how long the server asked to wait, at most {@link #MAX_RETRY_AFTER}
     */
    public ServerException(Kind kind, String message, Throwable cause, java.util.Optional<java.time.Duration> retryAfter) {
        super(message, cause);
        this.kind = kind;
        this.retryAfter = retryAfter.map(d -> d.isNegative() ? java.time.Duration.ZERO
                : d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d);
    }

    /**
     * How long the server asked the agent to wait before the next attempt, if it said.
     *
     * @return the pause asked for, bounded
     */
    public java.util.Optional<java.time.Duration> retryAfter() {
        return retryAfter;
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
