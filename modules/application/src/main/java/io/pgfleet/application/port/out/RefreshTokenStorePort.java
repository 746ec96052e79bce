package io.pgfleet.application.port.out;

import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;

/**
 * Rotating refresh tokens, kept as hashes.
 */
public interface RefreshTokenStorePort {

    /**
     * Begins a user's session (a login): stores the first token of a new family and, when the user
     * would then hold more than {@code limit.sessions()} open sessions, ends the oldest (those begun
     * first) until the limit holds, the new one never among them. Each is ended as a logout ends
     * one: every token of its family revoked, every instance told
     * ({@link ConfigChangeFeedPort.Listener#sessionEnded}), and its audit entry written, all in the
     * transaction that stores the new token. Counted in the database under the user's sessions
     * lock, so the limit holds for logins on all instances together, at the same time too.
     *
     * <p>A session is open while its family holds a token neither spent, revoked nor expired.
     *
     * @param tokenHash SHA-256 of the new family's first token
     * @param familyId  the new family
     * @param principal the user logging in
     * @param issuedAt  issue time
     * @param expiresAt expiry
     * @param limit     how many open sessions the user may hold
     * @param audit     the audit entry of each session ended for the limit
     * @return the sessions ended for the limit, oldest first; empty when the user was below it
     */
    java.util.List<EndedSession> startSession(String tokenHash, String familyId, Principal principal, Instant issuedAt,
                                              Instant expiresAt, SessionLimit limit,
                                              java.util.function.Function<EndedSession, AuditEntry> audit);

    /**
     * How many sessions one user may hold open at once, on all instances together.
     *
     * @param sessions the most open sessions, at least 1
     */
    record SessionLimit(int sessions) {
        /** Requires at least one. */
        public SessionLimit {
            if (sessions < 1) {
                throw new IllegalArgumentException("a user may hold at least one session, got " + sessions);
            }
        }
    }

    /**
     * Uses a token once and stores its successor, in one transaction. Presented again within
     * {@code reuseGrace} of its first use (the answer to that use was lost), it is consumed again:
     * the successors it was exchanged for before are superseded (revoked; nobody received them) and
     * the new one takes their place, unless one of them was already used, which means two holders
     * (the family forked): the family is revoked. A superseded token presented later, or a spent
     * token presented after the grace, revokes the family too.
     *
     * <p>A token that would be consumed while its family already stored {@code limit.refreshes()}
     * tokens within the last {@code limit.window()} is not: nothing changes, and the answer says when
     * the family may refresh again. Counted in the database under the family's lock, so the limit
     * holds for the session whichever instances its refreshes reach. Reuse is detected first: a
     * spent or superseded token revokes its family whatever the rate.
     *
     * @param tokenHash  SHA-256 of the presented token
     * @param successor  the token that replaces it, stored only when it is consumed
     * @param now        the current time
     * @param reuseGrace how long after its first use a token may be presented once more
     * @param limit      how many tokens a family may store within a window
     * @return what happened
     */
    Consumption consumeRefreshToken(String tokenHash, Successor successor, Instant now, java.time.Duration reuseGrace,
                                    RateLimit limit);

    /**
     * How often one session (refresh-token family) may refresh: at most {@code refreshes} tokens of
     * the family stored within any {@code window} (the token of the login or registration that began
     * the session counts too).
     *
     * @param refreshes the most tokens within a window, at least 1
     * @param window    the window, at least a second
     */
    record RateLimit(int refreshes, java.time.Duration window) {
        /** Requires a positive count and a window of at least a second. */
        public RateLimit {
            java.util.Objects.requireNonNull(window, "window");
            if (refreshes < 1 || window.compareTo(java.time.Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("a refresh rate is at least 1 per window of at least a second");
            }
        }
    }

    /**
     * Ends the session a refresh token belongs to: every token of its family is revoked, and every
     * instance hears that the session ended
     * ({@link ConfigChangeFeedPort.Listener#sessionEnded}), so the session's access tokens stop
     * working at once too.
     *
     * @param tokenHash the presented token's hash
     * @param now       the revocation time
     * @return the session that has ended; empty for an unknown token, or one whose family had ended already
     */
    java.util.Optional<EndedSession> endSession(String tokenHash, Instant now);

    /**
     * A session that ended.
     *
     * @param subject the user name or collector id it was of
     * @param session the session (its refresh-token family)
     */
    record EndedSession(String subject, String session) {
        /** Requires both. */
        public EndedSession {
            java.util.Objects.requireNonNull(subject, "subject");
            java.util.Objects.requireNonNull(session, "session");
        }
    }

    /**
     * Revokes every token of a user (disabled, or password changed); never a collector's, even one
     * whose id is the same text.
     *
     * @param username the user
     * @param now      the revocation time
     */
    void revokeRefreshTokensOfUser(Username username, Instant now);

    /**
     * Revokes every token of a collector (revoked); never a user's, even one whose name is the
     * same text.
     *
     * @param collectorId the collector
     * @param now         the revocation time
     */
    void revokeRefreshTokensOfCollector(CollectorId collectorId, Instant now);

    /**
     * The refresh token that replaces a consumed one, of the same family and subject.
     *
     * @param tokenHash SHA-256 of the new token
     * @param issuedAt  issue time
     * @param expiresAt expiry
     */
    record Successor(String tokenHash, Instant issuedAt, Instant expiresAt) {
    }

    /** Why presenting a refresh token revoked its family. */
    enum Reuse {
        /** A spent token presented after the reuse grace. */
        SPENT,
        /** A spent token presented within the grace, though a token it was exchanged for was already used. */
        SUCCESSOR_USED,
        /** A token replaced by a retry of the one before it: whoever retried is not its only holder. */
        SUPERSEDED
    }

    /** The outcome of presenting a refresh token. */
    sealed interface Consumption {
        /**
         * First use of a current token (or a retry within the grace): it is now spent, and the
         * successor is stored.
         *
         * @param principal whom it refreshes
         * @param familyId  its family, for the successor
         */
        record Consumed(Principal principal, String familyId) implements Consumption {
        }

        /**
         * Held by two: the family is now revoked.
         *
         * @param familyId the revoked family
         * @param subject  whose it was (user name or collector id), so that this instance forgets
         *                 what it remembered of the session at once
         * @param reuse    what gave it away
         */
        record Reused(String familyId, String subject, Reuse reuse) implements Consumption {
        }

        /** Unknown, expired or revoked. */
        record Rejected() implements Consumption {
        }

        /**
         * Not consumed: its family refreshed as often as the limit allows within the window. The
         * token is not spent (nor anything else changed) and may be presented again from {@code until}.
         *
         * @param familyId its family
         * @param subject  whose it is (user name or collector id), for the log
         * @param limit    the limit it reached
         * @param until    when the oldest token the limit counted leaves the window
         */
        record TooFrequent(String familyId, String subject, RateLimit limit, Instant until) implements Consumption {
        }

        /**
         * A token of a decommissioned collector, whatever its own state: its holder is told why it
         * is refused for good (it proves it was that collector, so this tells it nothing of others).
         *
         * @param collectorId the collector the token was issued to
         * @param at          when it was decommissioned
         */
        record Decommissioned(io.pgfleet.domain.collector.CollectorId collectorId, Instant at) implements Consumption {
        }
    }
}
