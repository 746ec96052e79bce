package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.LoadUserPort;
import io.pgfleet.application.port.out.SaveUserPort;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditEntry;

import java.util.List;
import java.util.Optional;

/**
 * Users in the {@code users} table; passwords only as PBKDF2 hashes.
 */
public final class UserPersistenceAdapter implements LoadUserPort, SaveUserPort {

    private static final String COLUMNS = "username, password_hash, role, enabled, created_at";
    /** Serialises the "first user" check of instances starting together. */
    private static final long FIRST_USER_LOCK = 0x7067666c65657401L;
    /** Serialises changes that could remove the last enabled administrator. */
    private static final long ADMINISTRATORS_LOCK = 0x7067666c65657402L;

    private final DbClient db;

    UserPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public Optional<User> loadUser(Username username) {
        return Rows.guard("loading user " + username, () -> db.execute()
                .get("SELECT " + COLUMNS + " FROM users WHERE username = ?", username.value())
                .map(UserPersistenceAdapter::user));
    }

    @Override
    public List<User> loadUsers() {
        return Rows.guard("listing users", () -> db.execute()
                .query("SELECT " + COLUMNS + " FROM users ORDER BY username")
                .map(UserPersistenceAdapter::user).toList());
    }

    @Override
    public boolean saveNewUser(User user, AuditEntry audit) {
        return Rows.guard("saving user " + user.username(), () -> Rows.inTransaction(db, tx -> {
            long inserted = tx.insert("INSERT INTO users (username, password_hash, role, enabled, created_at, updated_at)"
                            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING",
                    user.username().value(), user.passwordHash(), user.role().label(), user.enabled(),
                    Rows.timestamp(user.createdAt()), Rows.timestamp(audit.at()));
            if (inserted == 1) {
                AuditPersistenceAdapter.insert(tx, audit);
            }
            return inserted == 1;
        }));
    }

    @Override
    public boolean saveFirstUser(User admin, AuditEntry audit) {
        return Rows.guard("creating the first administrator", () -> Rows.inTransaction(db, tx -> {
            tx.get("SELECT pg_advisory_xact_lock(?) IS NULL AS locked", FIRST_USER_LOCK);
            long users = ((Number) tx.get("SELECT count(*) AS n FROM users").orElseThrow().column("n").get()).longValue();
            if (users > 0) {
                return false;
            }
            tx.insert("INSERT INTO users (username, password_hash, role, enabled, created_at, updated_at)"
                            + " VALUES (?, ?, ?, ?, ?, ?)",
                    admin.username().value(), admin.passwordHash(), admin.role().label(), admin.enabled(),
                    Rows.timestamp(admin.createdAt()), Rows.timestamp(audit.at()));
            AuditPersistenceAdapter.insert(tx, audit);
            return true;
        }));
    }

    @Override
    public boolean updateUser(User user, AuditEntry audit) {
        return Rows.guard("updating user " + user.username(), () -> Rows.inTransaction(db, tx -> {
            if (!(user.enabled() && user.role() == Role.ADMIN)) {
                // Every change that takes an administrator away waits here for the one before it,
                // then counts the administrators that change left behind.
                tx.get("SELECT pg_advisory_xact_lock(?) IS NULL AS locked", ADMINISTRATORS_LOCK);
                long others = ((Number) tx.get("SELECT count(*) AS n FROM users WHERE role = 'admin' AND enabled"
                        + " AND username <> ?", user.username().value()).orElseThrow().column("n").get()).longValue();
                boolean isAdmin = tx.get("SELECT 1 AS one FROM users WHERE username = ? AND role = 'admin' AND enabled",
                        user.username().value()).isPresent();
                if (isAdmin && others == 0) {
                    return false;
                }
            }
            tx.update("UPDATE users SET password_hash = ?, role = ?, enabled = ?, updated_at = ? WHERE username = ?",
                    user.passwordHash(), user.role().label(), user.enabled(), Rows.timestamp(audit.at()),
                    user.username().value());
            AuditPersistenceAdapter.insert(tx, audit);
            // Other instances forget the user's cached access and end its held watches, as this one does.
            PostgresChangeFeed.announcePrincipal(tx, user.username().value());
            return true;
        }));
    }

    private static User user(DbRow row) {
        return new User(new Username(Rows.text(row, "username")), Role.parse(Rows.text(row, "role")),
                row.column("enabled").get(Boolean.class), Rows.text(row, "password_hash"),
                Rows.instant(row, "created_at"));
    }
}
