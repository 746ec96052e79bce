package io.pgfleet.application.port.in;

import io.pgfleet.domain.access.AccessDecision;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.collector.CollectorId;

/**
 * Who is calling, and may they do this.
 */
public interface AuthenticateQuery {

    /**
     * Checks a bearer token, and that its user is still enabled or its collector still known.
     *
     * @param accessToken the token text
     * @return the principal, or why not
     */
    Authentication authenticate(String accessToken);

    /**
     * Checks a bearer token again for a request that waited (a held watch, about to answer): the
     * token itself as {@link #authenticate} does, its subject's activity as this instance last
     * learned it. The database is asked only when this instance has forgotten the subject since —
     * it, or another instance that announced it, revoked, disabled, demoted or decommissioned it —
     * so that waking thousands of watchers at once costs no query each.
     *
     * @param accessToken the token text
     * @return the principal, or why not
     */
    Authentication authenticateAgain(String accessToken);

    /**
     * Decides an operation that is not about one collector.
     *
     * @param principal who
     * @param operation what
     * @return the decision
     */
    AccessDecision authorize(Principal principal, Operation operation);

    /**
     * Decides an operation on one collector.
     *
     * @param principal who
     * @param operation what
     * @param target    which collector
     * @return the decision
     */
    AccessDecision authorize(Principal principal, Operation operation, CollectorId target);

    /**
     * The outcome of authenticating a request's bearer token.
     */
    sealed interface Authentication {

        /**
         * A genuine, current token of an active principal.
         *
         * @param principal who calls
         * @param session   the session the token was issued in, if it names one
         */
        record Authenticated(Principal principal, java.util.Optional<String> session) implements Authentication {
            /** Requires both. */
            public Authenticated {
                java.util.Objects.requireNonNull(principal, "principal");
                java.util.Objects.requireNonNull(session, "session");
            }

            /** @param principal who calls, with a token of no session */
            public Authenticated(Principal principal) {
                this(principal, java.util.Optional.empty());
            }
        }

        /**
         * Refused.
         *
         * @param reason why
         */
        record Rejected(String reason) implements Authentication {
        }
    }
}
