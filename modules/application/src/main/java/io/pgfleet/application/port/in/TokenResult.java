package io.pgfleet.application.port.in;

/**
 * The outcome of a login or refresh.
 */
public sealed interface TokenResult {

    /**
     * Tokens were issued.
     *
     * @param tokens the new pair
     * @param ended  the subject's sessions a login ended to stay within the sessions a user may hold
     *               open (its oldest), oldest first; none for a refresh
     */
    record Issued(TokenPair tokens, java.util.List<EndedSession> ended) implements TokenResult {
        /** Copies the list. */
        public Issued {
            java.util.Objects.requireNonNull(tokens, "tokens");
            ended = java.util.List.copyOf(ended);
        }

        /**
         * Tokens issued without ending a session.
         *
         * @param tokens the new pair
         */
        public Issued(TokenPair tokens) {
            this(tokens, java.util.List.of());
        }
    }

    /**
     * A session a login ended because its user held as many open sessions as a user may.
     *
     * @param subject the user
     * @param session the ended session (its refresh-token family)
     */
    record EndedSession(String subject, String session) {
        /** Requires both. */
        public EndedSession {
            java.util.Objects.requireNonNull(subject, "subject");
            java.util.Objects.requireNonNull(session, "session");
        }
    }

    /**
     * Refused; the reason is for the log, callers get a uniform answer.
     *
     * @param reason why
     */
    record Refused(String reason) implements TokenResult {
    }

    /**
     * Refused for good: the refresh token is one of a decommissioned collector. Said to its holder
     * alone, so that an agent stops asking to be re-bound to an id that is never bound again.
     *
     * @param collectorId the decommissioned collector
     * @param at          when it was decommissioned
     */
    record Decommissioned(io.pgfleet.domain.collector.CollectorId collectorId, java.time.Instant at)
            implements TokenResult {
    }

    /**
     * Not carried out: the session refreshed as often as it may within the window. The refresh
     * token is not spent and works again after the delay; nothing else changed.
     *
     * @param retryAfter how long to wait, at least one second
     * @param refreshes  how many refreshes the session may make within the window
     * @param window     the window
     * @param reason     why, for the log
     */
    record TooFrequent(java.time.Duration retryAfter, int refreshes, java.time.Duration window, String reason)
            implements TokenResult {
        /** Requires a delay of at least one second. */
        public TooFrequent {
            java.util.Objects.requireNonNull(retryAfter, "retryAfter");
            java.util.Objects.requireNonNull(window, "window");
            java.util.Objects.requireNonNull(reason, "reason");
            if (retryAfter.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
                retryAfter = java.time.Duration.ofSeconds(1);
            }
        }
    }

    /**
     * Not tried: too many failed attempts from this address (for this user), or every password
     * hashing slot is busy. Nothing was checked; the caller may try again after the delay.
     *
     * @param retryAfter how long to wait, at least one second
     * @param reason     why, for the log
     */
    record Throttled(java.time.Duration retryAfter, String reason) implements TokenResult {
        /** Requires a delay of at least one second. */
        public Throttled {
            java.util.Objects.requireNonNull(retryAfter, "retryAfter");
            java.util.Objects.requireNonNull(reason, "reason");
            if (retryAfter.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
                retryAfter = java.time.Duration.ofSeconds(1);
            }
        }
    }
}
