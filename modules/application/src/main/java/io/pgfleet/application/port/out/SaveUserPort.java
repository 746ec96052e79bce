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
     * Replaces a user's role, password hash and enabled flag, unless that would leave no enabled
     * administrator: the check and the write are one transaction serialised against every other
     * such change, so two concurrent demotions of the last two administrators cannot both succeed.
     * A written change is announced to every instance in the same transaction
     * ({@link ConfigChangeFeedPort.Listener#principalChanged}).
     *
     * @param user  the new state
     * @param audit the audit entry
     * @return true when written, false when refused because the user is the last enabled administrator
     */
    boolean updateUser(User user, AuditEntry audit);
}
