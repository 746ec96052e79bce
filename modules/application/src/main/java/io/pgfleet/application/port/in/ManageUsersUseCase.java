package io.pgfleet.application.port.in;

import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.identity.Actor;

import java.util.List;
import java.util.Optional;

/**
 * Administrators manage the people who operate the fleet.
 */
public interface ManageUsersUseCase {

    /**
     * Creates a user.
     *
     * @param username the name
     * @param password the initial password
     * @param role     a human role
     * @param actor    the administrator
     * @return created, or the name is taken
     */
    UserResult createUser(Username username, String password, Role role, Actor actor);

    /**
     * Changes a user; each absent part stays as it is. Disabling revokes the user's refresh tokens
     * and makes their access tokens stop working at once.
     *
     * @param username the user
     * @param role     a new role
     * @param password a new password
     * @param enabled  enable or disable
     * @param actor    the administrator
     * @return updated, not found, or refused because it would leave no enabled administrator
     */
    UserResult updateUser(Username username, Optional<Role> role, Optional<String> password, Optional<Boolean> enabled,
                          Actor actor);

    /**
     * Every user.
     *
     * @return users by name
     */
    List<User> listUsers();

    /** The outcome of a user write. */
    sealed interface UserResult {
        /**
         * Done.
         *
         * @param user the user as stored
         */
        record Saved(User user) implements UserResult {
        }

        /**
         * A user with this name exists.
         *
         * @param username the name
         */
        record AlreadyExists(Username username) implements UserResult {
        }

        /**
         * No such user.
         *
         * @param username the name
         */
        record NotFound(Username username) implements UserResult {
        }

        /**
         * Refused: the user is the last enabled administrator, and the change would demote or
         * disable them, leaving nobody able to administer the fleet.
         *
         * @param username the user
         */
        record LastAdministrator(Username username) implements UserResult {
        }
    }
}
