package io.pgfleet.application.port.in;

import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;

import java.util.Optional;

/**
 * The way back in when every administrator's password is lost: run on the server host only (the
 * server's {@code reset-admin-password} command), never offered over the network. It sets a new
 * password for an administrator, enables them again if they were disabled, ends their sessions
 * (refresh tokens) and records it in the audit trail.
 */
public interface ResetAdministratorPasswordUseCase {

    /** The audit detail of a reset, so the trail tells it from a change made through the API. */
    String AUDIT_DETAIL = "password reset from the server host";

    /**
     * Resets an administrator's password.
     *
     * @param username the administrator
     * @param password the new password (at least {@link User#MIN_PASSWORD_LENGTH} characters);
     *                 generated when empty
     * @return reset, or refused because there is no such user or the user is not an administrator
     */
    Result reset(Username username, Optional<String> password);

    /** The outcome of a reset. */
    sealed interface Result {
        /**
         * Done.
         *
         * @param user      the administrator as stored now
         * @param reEnabled whether the administrator had been disabled and is enabled again
         * @param generated the generated password, to be shown once; empty when one was given
         */
        record Reset(User user, boolean reEnabled, Optional<String> generated) implements Result {
            /** Requires every part. */
            public Reset {
                java.util.Objects.requireNonNull(user, "user");
                java.util.Objects.requireNonNull(generated, "generated");
            }

            /** Never shows the password, so a logged result leaks nothing. */
            @Override
            public String toString() {
                return "Reset[user=" + user.username().value() + ", reEnabled=" + reEnabled + ", generated="
                        + generated.map(p -> "***").orElse("none") + "]";
            }
        }

        /**
         * No such user.
         *
         * @param username the name
         */
        record NotFound(Username username) implements Result {
        }

        /**
         * The user exists but is not an administrator: a reset from the host is only the way back in
         * for administrators, who can then reset anyone else's password through the API.
         *
         * @param username the user
         * @param role     the user's role
         */
        record NotAdministrator(Username username, Role role) implements Result {
        }
    }
}
