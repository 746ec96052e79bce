package io.pgfleet.application.port.out;

import io.pgfleet.domain.access.User;
import io.pgfleet.domain.audit.AuditEntry;

/**
 * Stores users, each write with its audit entry.
 */
public interface SaveUserPort {

    /**
     * Stores a new user unless the name is taken.
     *
     * @param user  the user
     * @param audit the audit entry
     * @return true when stored
     */
    boolean saveNewUser(User user, AuditEntry audit);

    /**
     * Creates the first administrator, only when no user exists at all (safe when several
     * instances start at once).
     *
     * @param admin the administrator
     * @param audit the audit entry
     * @return true when created, false when some user already existed
     */
    boolean saveFirstUser(User admin, AuditEntry audit);

    /**
     * Replaces a user's role, password hash and enabled flag.
     *
     * @param user  the new state
     * @param audit the audit entry
     */
    void updateUser(User user, AuditEntry audit);
}
