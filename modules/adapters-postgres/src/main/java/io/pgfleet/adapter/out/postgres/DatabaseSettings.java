package io.pgfleet.adapter.out.postgres;

import java.time.Duration;
import java.util.Objects;

/**
 * Where the database is, how many connections the server may hold, and how long it waits for the
 * database to answer.
 *
 * @param url              JDBC URL ({@code jdbc:postgresql://host:port/db})
 * @param user             user name
 * @param password         password, empty for none
 * @param poolSize         the maximum number of pooled connections
 * @param statementTimeout the longest a pooled or {@code LISTEN} connection waits for the database's
 *                         answer to one statement (whole seconds, at least one): beyond it the
 *                         connection is given up, so a database that hangs (a frozen host, a lost
 *                         network path) fails requests instead of holding them without limit
 */
public record DatabaseSettings(String url, String user, String password, int poolSize, Duration statementTimeout) {

    /**
     * The default wait for an answer: well above the longest legitimate statement (a fleet-layer change
     * over 10,000 collectors takes 1–3 s; the retention purge deletes in batches of seconds at most).
     */
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);

    /** The longest wait that may be set (an hour): a longer one would be no protection. */
    public static final Duration MAX_STATEMENT_TIMEOUT = Duration.ofHours(1);

    /** Requires a PostgreSQL JDBC URL, a positive pool size and a wait of whole seconds, 1 s .. 1 h. */
    public DatabaseSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(statementTimeout, "statementTimeout");
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("the database URL must start with jdbc:postgresql:, got " + shown(url));
        }
        // Checked here, as the driver reads it: a URL it cannot read (a port that is no number) failed
        // the start with a stack trace that printed the URL, parameters and password included, three times.
        if (org.postgresql.Driver.parseURL(url, null) == null) {
            throw new IllegalArgumentException("the database URL " + shown(url)
                    + " cannot be read: write it as jdbc:postgresql://host:port/database");
        }
        if (poolSize < 1 || poolSize > 1000) {
            throw new IllegalArgumentException("the pool size must be between 1 and 1000");
        }
        // The driver counts its socket timeout in whole seconds.
        if (statementTimeout.toMillis() % 1000 != 0 || statementTimeout.toSeconds() < 1
                || statementTimeout.compareTo(MAX_STATEMENT_TIMEOUT) > 0) {
            throw new IllegalArgumentException("the statement timeout must be whole seconds, 1.."
                    + MAX_STATEMENT_TIMEOUT.toSeconds() + ", got " + statementTimeout);
        }
    }

    /**
     * Settings with the default statement timeout.
     *
     * @param url      JDBC URL
     * @param user     user name
     * @param password password, empty for none
     * @param poolSize the maximum number of pooled connections
     */
    public DatabaseSettings(String url, String user, String password, int poolSize) {
        this(url, user, password, poolSize, DEFAULT_STATEMENT_TIMEOUT);
    }

    /**
     * The same database with another statement timeout.
     *
     * @param other the longest wait for one statement's answer
     * @return a copy
     */
    public DatabaseSettings withStatementTimeout(Duration other) {
        return new DatabaseSettings(url, user, password, poolSize, other);
    }

    /**
     * A database URL as it may be shown (in a log, an error, the line that says the server is
     * ready): without its parameters, where pgjdbc takes a password ({@code ?password=...}), and
     * without the password of a {@code user:password@host} part, which an operator used to libpq's
     * URLs ({@code postgres://user:password@host/db}) may write.
     *
     * @param url a database URL as given
     * @return the URL without its secrets
     */
    public static String shown(String url) {
        String shown = url.replaceFirst("[?#].*", "");
        int authority = shown.indexOf("//");
        if (authority < 0) {
            return shown;
        }
        authority += 2;
        int path = shown.indexOf('/', authority);
        int at = shown.lastIndexOf('@', path < 0 ? shown.length() - 1 : path - 1);
        int colon = shown.indexOf(':', authority);
        if (at < authority || colon < 0 || colon > at) {
            return shown;
        }
        return shown.substring(0, colon) + ":***" + shown.substring(at);
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + shown(url) + ", user=" + user + ", poolSize=" + poolSize
                + ", statementTimeout=" + statementTimeout + "]";
    }
}
