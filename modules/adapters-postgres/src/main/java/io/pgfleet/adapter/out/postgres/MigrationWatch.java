package io.pgfleet.adapter.out.postgres;

import org.postgresql.Driver;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the schema migration at start without cutting a long one short.
 *
 * <p>A migration's statement may rightly run for minutes (an index over a big table), and a second
 * instance rightly waits for as long as the first one migrates: no timeout on the migration's own
 * connection can tell that from a database that hangs. A second connection can: while the
 * migration runs it asks the database {@code SELECT 1} every few seconds, which needs no lock and
 * answers at once from a database that works, however busy the migration keeps it. When that
 * answer (or a new connection's login) takes longer than the statement timeout, the database
 * hangs: the migration's connections are aborted, and the start fails saying so.
 */
final class MigrationWatch implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MigrationWatch.class.getName());

    private final DatabaseSettings settings;
    private final Duration bound;
    private final List<Connection> migrating = new CopyOnWriteArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread watcher;
    /**
     * Flyway's loggers (java.util.logging's, by class name under this one). Silenced once the
     * migration's connections are aborted: its complaints about a connection closed under it (a
     * rollback that fails, with stack traces) would only bury the one line that says why. Held here,
     * as the logging system keeps only weak references.
     */
    private final java.util.logging.Logger flywayLog = java.util.logging.Logger.getLogger("org.flywaydb");
    private final java.util.logging.Level flywayLevel = flywayLog.getLevel();
    private volatile boolean hung;
    private boolean flywaySilenced;

    private MigrationWatch(DatabaseSettings settings) {
        this.settings = settings;
        this.bound = settings.statementTimeout();
        this.watcher = Thread.ofPlatform().name("pgfleet-migration-watch").daemon().unstarted(this::watch);
    }

    /**
     * Starts watching.
     *
     * @param settings where the database is; its statement timeout is the longest wait for an answer
     * @return the watch, to be closed once the migration is over
     */
    static MigrationWatch start(DatabaseSettings settings) {
        MigrationWatch watch = new MigrationWatch(settings);
        watch.watcher.start();
        return watch;
    }

    /**
     * The connections the migration runs on: their logins are bounded by the statement timeout,
     * their statements are not (the watch bounds them).
     *
     * @return a data source for Flyway
     */
    DataSource dataSource() {
        return new MigrationConnections();
    }

    /** How to connect: bounded connect and login; a read bounded by the statement timeout, or not at all (0). */
    private Connection connect(String applicationName, long socketTimeoutSeconds) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", settings.user());
        properties.setProperty("password", settings.password());
        String seconds = Long.toString(bound.toSeconds());
        properties.setProperty("connectTimeout", seconds);
        properties.setProperty("loginTimeout", seconds);
        properties.setProperty("socketTimeout", Long.toString(socketTimeoutSeconds));
        properties.setProperty("ApplicationName", applicationName);
        // As the pool's: a migration that fails on existing rows (a unique index over duplicates) says
        // which constraint, not the rows' values, in the start's failure and the log.
        properties.setProperty(PostgresStorage.NO_ERROR_DETAIL, "false");
        Connection c = new Driver().connect(settings.url(), properties);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL: " + DatabaseSettings.shown(settings.url()), "08001");
        }
        return c;
    }

    /** Flyway's connections, kept to be aborted should the database hang. */
    private final class MigrationConnections implements DataSource {

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = connect("pgfleet migration", 0);
            migrating.add(c);
            if (hung) {
                abortAll();
            }
            return c;
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
            // the driver logs through java.util.logging
        }

        @Override
        public void setLoginTimeout(int seconds) {
            // bounded by the statement timeout
        }

        @Override
        public int getLoginTimeout() {
            return (int) bound.toSeconds();
        }

        @Override
        public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            if (type.isInstance(this)) {
                return type.cast(this);
            }
            throw new SQLException("not a wrapper of " + type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return type.isInstance(this);
        }
    }

    /**
     * Whether a failure of the migration was the database not answering in time: found by the watch,
     * or a login that timed out on the migration's own connection.
     */
    boolean notAnswering(Throwable failure) {
        return hung || timedOut(failure);
    }

    /**
     * Whether the migration made a connection: a connection failure after that is a connection lost,
     * not one refused, and the settings were right.
     */
    boolean connected() {
        return !migrating.isEmpty();
    }

    /**
     * Silences Flyway's complaints about the connection closed under it (a rollback that fails, with
     * stack traces) until the watch is closed: the one line that says why the start failed is enough.
     */
    synchronized void silenceFlyway() {
        flywaySilenced = true;
        flywayLog.setLevel(java.util.logging.Level.OFF);
    }

    /** A read that timed out, or a login that did (the driver says so in words only). */
    private static boolean timedOut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException
                    || t instanceof SQLException s && "08001".equals(s.getSQLState())
                    && s.getMessage() != null && s.getMessage().contains("timed out")) {
                return true;
            }
        }
        return false;
    }

    /** The one line that says the database did not answer, and what to do. */
    String notAnsweringMessage() {
        // Without the URL's parameters or a user:password@ part: they may carry a password.
        String where = DatabaseSettings.shown(settings.url());
        return "the database did not answer within " + bound.toSeconds() + " s during migrations (" + where
                + "); check that it runs and is reachable (a frozen host, a lost network path), then start again,"
                + " or raise db_statement_timeout (PGFLEET_DB_STATEMENT_TIMEOUT) if it is only that slow";
    }

    private void watch() {
        // Asked often enough to notice a hang soon after the bound, rarely enough to cost nothing.
        long pause = Math.max(1, Math.min(5, bound.toSeconds() / 2));
        Connection probe = null;
        try {
            while (!closed.await(pause, TimeUnit.SECONDS)) {
                try {
                    if (probe == null) {
                        probe = connect("pgfleet migration watch", bound.toSeconds());
                    }
                    try (Statement s = probe.createStatement()) {
                        s.execute("SELECT 1");
                    }
                } catch (SQLException e) {
                    close(probe);
                    probe = null;
                    if (timedOut(e) && declareHung()) {
                        LOG.log(System.Logger.Level.ERROR, notAnsweringMessage() + ": " + e.getMessage());
                        abortAll();
                        return;
                    }
                    // Refused, a login rejected, too many clients: the migration meets it by itself if it matters.
                    LOG.log(System.Logger.Level.DEBUG, "asking the database during migrations: " + e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close(probe);
        }
    }

    /** Marks the database hung, unless the migration is over already. */
    private synchronized boolean declareHung() {
        if (closed.getCount() == 0) {
            return false;
        }
        hung = true;
        silenceFlyway();
        return true;
    }

    /** Ends the migration's connections: a statement waiting for an answer fails at once. */
    private void abortAll() {
        for (Connection c : migrating) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "aborting a migration connection: " + e);
            }
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.abort(Runnable::run); // close() would send a Terminate the hung database never reads
            } catch (SQLException | RuntimeException e) {
                // gone either way
            }
        }
    }

    /** Stops watching; a probe under way ends by itself within the bound, and changes nothing then. */
    @Override
    public synchronized void close() {
        closed.countDown();
        if (flywaySilenced) {
            flywayLog.setLevel(flywayLevel);
        }
    }
}
