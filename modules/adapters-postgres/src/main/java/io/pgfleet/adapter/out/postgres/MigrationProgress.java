package io.pgfleet.adapter.out.postgres;

import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;

import java.sql.SQLException;
import java.util.Optional;

/**
 * Follows Flyway's migrations as they run, for the line a start fails with when the connection to
 * the database is lost in the middle of them: which migration was under way, and whether it ran in
 * a transaction (then PostgreSQL rolled it back with the session, and the schema is as the
 * migrations before it left it).
 */
final class MigrationProgress implements Callback, AutoCloseable {

    /**
     * A migration Flyway began.
     *
     * @param name          e.g. {@code migration 36 (restore mark per collector)}
     * @param inTransaction whether it runs in a transaction (Flyway's default on PostgreSQL, where DDL
     *                      is transactional), rather than statement by statement
     */
    record Migration(String name, boolean inTransaction) {
    }

    /**
     * Where Flyway says, at INFO, that it calls a callback of ours: twice a migration, 48 lines on a
     * first start, saying nothing to an operator. Quieter while this callback is registered; held
     * here, as the logging system keeps only weak references.
     */
    private final java.util.logging.Logger callbackLog =
            java.util.logging.Logger.getLogger("org.flywaydb.core.internal.callback.DefaultCallbackExecutor");
    private final java.util.logging.Level callbackLevel = callbackLog.getLevel();
    private final Runnable onConnectionLost;
    private volatile Optional<Migration> underWay = Optional.empty();

    /**
     * @param onConnectionLost run once a migration failed because its connection is gone, before
     *                         Flyway tries to roll it back on that connection
     */
    MigrationProgress(Runnable onConnectionLost) {
        this.onConnectionLost = onConnectionLost;
        callbackLog.setLevel(java.util.logging.Level.WARNING);
    }

    /** Gives Flyway's callback logger its level back, once the migration is over. */
    @Override
    public void close() {
        callbackLog.setLevel(callbackLevel);
    }

    /** @return the migration under way (begun, not yet ended), if any */
    Optional<Migration> underWay() {
        return underWay;
    }

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.BEFORE_EACH_MIGRATE || event == Event.AFTER_EACH_MIGRATE
                || event == Event.AFTER_EACH_MIGRATE_ERROR;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        // It runs no statement: only looks at the connection's state.
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        try {
            switch (event) {
                // Inside the migration's transaction, if it has one: the connection's auto-commit says.
                case BEFORE_EACH_MIGRATE -> underWay = Optional.of(new Migration(name(context.getMigrationInfo()),
                        !context.getConnection().getAutoCommit()));
                case AFTER_EACH_MIGRATE -> underWay = Optional.empty();
                // Called before Flyway's rollback: on a connection that is gone, that fails and
                // Flyway complains with stack traces, which would bury the one line that says why.
                case AFTER_EACH_MIGRATE_ERROR -> {
                    if (context.getConnection().isClosed()) {
                        onConnectionLost.run();
                    }
                }
                default -> {
                    // not asked for (supports)
                }
            }
        } catch (SQLException e) {
            // Only the failure line's detail is lost; the migration goes on (or fails) as without it.
            System.getLogger(MigrationProgress.class.getName()).log(System.Logger.Level.DEBUG,
                    "following the migration: " + e);
        }
    }

    @Override
    public String getCallbackName() {
        return "pgfleet migration progress";
    }

    private static String name(MigrationInfo info) {
        if (info == null) {
            return "a migration";
        }
        return info.getVersion() == null ? "migration " + info.getScript()
                : "migration " + info.getVersion() + " (" + info.getDescription() + ")";
    }

    /**
     * The line a start fails with when the connection to the database was lost during the migration
     * (it had been made: the settings are right, so they are not what the line points at).
     *
     * @param shownUrl  the database URL, as it may be shown ({@link DatabaseSettings#shown})
     * @param migration the migration under way, if one was
     * @param reason    the driver's words
     * @return one line: what happened, in what state the schema is, what to do
     */
    static String lostLine(String shownUrl, Optional<Migration> migration, String reason) {
        String lost = "the connection to the database at " + shownUrl + " was lost during "
                + migration.map(Migration::name).orElse("the schema migration") + ": " + reason + "; ";
        if (migration.isEmpty()) {
            return lost + "a migration under way runs in a transaction of its own, which PostgreSQL rolled back"
                    + " with the connection, so the schema is as the last completed migration left it: start again"
                    + " to continue";
        }
        if (migration.get().inTransaction()) {
            return lost + "it runs in a transaction of its own, which PostgreSQL rolled back with the connection,"
                    + " so the schema is as the migrations before it left it: start again to continue";
        }
        return lost + "it does not run in a transaction, so what it did before the loss stays: check the schema"
                + " against it before starting again, which runs it again";
    }
}
