package io.pgfleet.agent.collect;

import io.pgfleet.domain.schema.EffectiveConfig;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;

/**
 * The connection to the PostgreSQL this agent monitors. A new target closes the old connection;
 * a failed connection is dropped and made again on the next collection.
 */
final class MonitoredDatabase implements AutoCloseable {

    private EffectiveConfig.PostgresTarget target;
    private Connection connection;

    /**
     * Points at a (new) target; reconnects lazily.
     *
     * @param next the target
     */
    public synchronized void retarget(EffectiveConfig.PostgresTarget next) {
        if (next.equals(target)) {
            return;
        }
        close();
        target = next;
    }

    /**
     * Runs work on the connection, connecting first when needed.
     *
     * @param work the queries
     * @param <T>  the result type
     * @return the result
     * @throws SQLException when the database cannot be reached or the queries fail
     */
    public synchronized <T> T with(SqlWork<T> work) throws SQLException {
        if (target == null) {
            throw new SQLException("no database configured");
        }
        boolean reused = connection != null && !connection.isClosed();
        if (!reused) {
            connection = connect(target);
        }
        try {
            return work.run(connection);
        } catch (SQLException e) {
            close();
            if (!reused || !lost(e)) {
                throw e;
            }
        }
        // The connection kept from an earlier run was ended meanwhile (the database restarted, a
        // failover, pg_terminate_backend): that says nothing about the database now. Once more on a
        // new one, so a routine restart costs no run of each collector, nor a collection error.
        connection = connect(target);
        try {
            return work.run(connection);
        } catch (SQLException e) {
            close();
            throw e;
        }
    }

    /**
     * Whether a failure says that the connection was lost rather than that the statement failed:
     * SQLSTATE class 08 (connection exception, the driver's I/O errors included) or 57P01–57P05
     * (the backend was ended: terminated, the server shut down or crashed, its database dropped, an
     * {@code idle_session_timeout} shorter than the collector's interval).
     */
    static boolean lost(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.startsWith("57P0"));
    }

    /** Queries against the monitored database. */
    @FunctionalInterface
    public interface SqlWork<T> {
        /**
         * Runs.
         *
         * @param c the connection
         * @return the result
         * @throws SQLException on failure
         */
        T run(Connection c) throws SQLException;
    }

    /**
     * The longest one of the agent's statements may run in the monitored database: just under the
     * driver's socket timeout (30 s), so a statement allowed as long as before (a
     * {@code pg_database_size} of many large databases on a slow disk) still is. A statement the
     * driver abandons at its socket timeout is not ended by that: its backend goes on (waiting for a
     * lock until the lock is released), so every run would leave one more session behind, each
     * taking one of the database's connection slots. A timeout the database keeps ends the
     * statement there first, and the agent's connection is then closed as after any failed run.
     */
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(25);

    /**
     * The longest one of them waits for a lock. The agent only reads statistics: it waits for a lock
     * only behind DDL in a long transaction (an {@code ALTER EXTENSION pg_stat_statements UPDATE}
     * not committed yet), and then gives up after 2 s and tries again at the next run, rather than
     * hold every other database collector (they share one lane) for as long as the statement timeout.
     */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(2);

    static Connection connect(EffectiveConfig.PostgresTarget t) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", t.user());
        Password password = password(t);
        password.value().ifPresent(pw -> p.setProperty("password", pw));
        p.setProperty("sslmode", t.sslmode());
        p.setProperty("ApplicationName", "pgfleet-agent");
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "30");
        // The JDBC driver speaks TCP only: a socket directory means "this host".
        String host = t.host().startsWith("/") ? "localhost" : t.host();
        Connection c;
        try {
            c = DriverManager.getConnection(url(host, t.port(), t.databases().get(0)), p);
        } catch (SQLException e) {
            if (password.unreadable().isEmpty()) {
                throw e;
            }
            // The driver's words alone ("no password was provided", "password authentication failed")
            // send the operator to the database's settings, when the file is what changed.
            throw new SQLException(e.getMessage() + " (no password was sent: " + password.unreadable().get() + ")",
                    e.getSQLState(), e);
        }
        try (Statement s = c.createStatement()) {
            // Set once the session is open rather than as a startup option, which a pooler in front
            // of the database (PgBouncer) refuses unless told to ignore it; over whatever the role or
            // the database sets. Session settings: a pooler in transaction mode would hand them to
            // other clients, so the agent is to connect to the server itself (docs/agent.md).
            s.execute("SET statement_timeout = " + STATEMENT_TIMEOUT.toMillis() + "; SET lock_timeout = "
                    + LOCK_TIMEOUT.toMillis());
            c.setReadOnly(true);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * The URL names only the server and the database; every setting goes as a driver property.
     * The database name is percent-encoded (the driver decodes it), so a name such as
     * {@code postgres?sslmode=disable} is a name and cannot add a parameter. (The driver ignores a
     * database given as a property when the URL names none: it would connect to the database named
     * after the user.) The host is one the host's allow-lists accept, and the schema admits no
     * {@code ,}, {@code ?} or {@code #}, so it names one server.
     */
    static String url(String host, int port, String database) {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8);
    }

    /**
     * The password to send, if any, and why none is sent when the configured file could not be read.
     *
     * @param value      the password
     * @param unreadable why {@code postgres.password_file} could not be read, when it could not
     */
    private record Password(Optional<String> value, Optional<String> unreadable) {
    }

    /**
     * Read at every connection, so a password rotated in its file is used at the next one. The file
     * was there when the version was applied; it may be gone or unreadable since (a secret rotated by
     * replacing the file, its mode changed by configuration management).
     */
    private static Password password(EffectiveConfig.PostgresTarget t) {
        if (!t.passwordFile().isEmpty()) {
            try {
                return new Password(Optional.of(Files.readString(Path.of(t.passwordFile())).strip()), Optional.empty());
            } catch (IOException e) {
                String why = switch (e) {
                    case java.nio.file.NoSuchFileException n -> "it does not exist";
                    case java.nio.file.AccessDeniedException a -> "permission denied";
                    default -> e.toString();
                };
                return new Password(Optional.empty(), Optional.of("postgres.password_file " + t.passwordFile()
                        + " cannot be read on this host: " + why));
            }
        }
        if (!t.passwordEnv().isEmpty()) {
            return new Password(Optional.ofNullable(System.getenv(t.passwordEnv())), Optional.empty());
        }
        return new Password(Optional.empty(), Optional.empty());
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // the connection is gone either way
            }
            connection = null;
        }
    }
}
