package io.pgfleet.application.port.out;

import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;

import java.util.List;
import java.util.Optional;

/**
 * Reads users.
 */
public interface LoadUserPort {

    /**
     * One user.
     *
     * @param username the name
     * @return the user, or empty
     */
    Optional<User> loadUser(Username username);

    /**
     * Every user, by name.
     *
     * @return the users
     */
    List<User> loadUsers();
}
