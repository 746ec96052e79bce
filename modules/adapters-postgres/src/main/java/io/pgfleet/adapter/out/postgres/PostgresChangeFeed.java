package io.pgfleet.adapter.out.postgres;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One {@code LISTEN} connection per server instance, outside the pool, fanning publish
 * announcements out to the subscribers. When the connection is lost it tells the subscribers that
 * announcements stopped ({@link Listener#interrupted()}: nothing remembered is current meanwhile),
 * reconnects with backoff and tells them to resync, so no watcher waits forever on a change it
 * missed and no reader is answered from memory while changes go unheard.
 */
public final class PostgresChangeFeed implements ConfigChangeFeedPort, AutoCloseable {

    /** The channel every publish notifies, with payload {@code collectorId:version}. */
    public static final String CHANNEL = "pgfleet_config";
    /**
     * The channel a publishing transaction also notifies, with the database's clock (microseconds
     * since the epoch) when it sent its announcements: the receiving instance measures the
     * notification lag from it. A channel of its own, so that the announcements' payloads stay as
     * servers of earlier releases read them.
     */
    public static final String SENT_AT_CHANNEL = "pgfleet_sent_at";
    /**
     * The channel a transaction that changes a user or revokes or decommissions a collector
     * notifies, with the subject (user name or collector id) as payload: every instance forgets what
     * it remembers of the subject's access and ends its held watches, which check it again.
     */
    public static final String PRINCIPAL_CHANNEL = "pgfleet_principal";
    /**
     * The channel a transaction that ends a session (a logout, a reused refresh token) notifies,
     * with {@code <session> <subject>} as payload: every instance forgets what it remembers of the
     * session and ends the watches held with its tokens.
     */
    public static final String SESSION_CHANNEL = "pgfleet_session";
    /** The longest session announced: a refresh-token family id is a UUID. */
    private static final int MAX_SESSION = 36;
    /** The longest subject announced: a user name or collector id is at most 64 characters. */
    private static final int MAX_SUBJECT = 64;
    /** A select-list item that sends the {@link #SENT_AT_CHANNEL} notification in the current transaction. */
    static final String SENT_AT_NOTIFY = "pg_notify('" + SENT_AT_CHANNEL
            + "', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text) IS NULL AS sent_at";
    private static final System.Logger LOG = System.getLogger(PostgresChangeFeed.class.getName());
    /** The {@code application_name} of the {@code LISTEN} connection, as {@code pg_stat_activity} shows it. */
    public static final String APPLICATION_NAME = "pgfleet listen";

    private final DatabaseSettings settings;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Connection connection;
    private volatile boolean listening;
    /** Orders the changes of {@link #listening} with what listeners are told of them. */
    private final Object state = new Object();
    private final java.util.concurrent.atomic.AtomicLong reconnects = new java.util.concurrent.atomic.AtomicLong();
    private volatile java.util.function.Consumer<java.time.Duration> lagObserver = lag -> { };

    /**
     * Starts listening.
     *
     * @param settings where the database is
     */
    public PostgresChangeFeed(DatabaseSettings settings) {
        this.settings = settings;
        this.thread = Thread.ofPlatform().daemon().name("pgfleet-listen").start(this::run);
    }

    @Override
    public void subscribe(Listener listener) {
        // Under the lock that orders the feed's own changes of state: a listener that joins while the
        // connection is down (or not made yet, at start) learns so, and is told of the next connection.
        synchronized (state) {
            listeners.add(listener);
            if (!listening) {
                listener.interrupted();
            }
        }
    }

    /**
     * The credentials, and the pool's limit on waiting for an answer: a database that hangs must not
     * hold this thread (and the ping below) for ever; the connection is given up and made again. The
     * wait for notifications itself is bounded separately (five seconds at a time).
     */
    private static java.util.Properties connectionProperties(DatabaseSettings settings) {
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", settings.user());
        p.setProperty("password", settings.password());
        String seconds = Long.toString(settings.statementTimeout().toSeconds());
        p.setProperty("socketTimeout", seconds);
        p.setProperty("loginTimeout", seconds);
        // Named, so that an operator (and a test) can tell it from the pool's in pg_stat_activity.
        p.setProperty("ApplicationName", APPLICATION_NAME);
        return p;
    }

    private void run() {
        long backoffMillis = 500;
        boolean firstConnection = true;
        while (running) {
            // What failed, should anything but the connection fail: for the line that says so.
            String failed = "the LISTEN connection could not be made";
            try (Connection c = DriverManager.getConnection(settings.url(), connectionProperties(settings))) {
                connection = c;
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                    s.execute("LISTEN " + LayerPersistenceAdapter.EFFECTIVE_CHANNEL);
                    s.execute("LISTEN " + SENT_AT_CHANNEL);
                    s.execute("LISTEN " + LayerPersistenceAdapter.SOURCES_CHANNEL);
                    s.execute("LISTEN " + PRINCIPAL_CHANNEL);
                    s.execute("LISTEN " + SESSION_CHANNEL);
                }
                if (!firstConnection) {
                    reconnects.incrementAndGet();
                    LOG.log(System.Logger.Level.INFO, "LISTEN connection re-established; watchers re-check");
                }
                synchronized (state) {
                    listening = true;
                    // The first connection too: a listener that subscribed before it was told that
                    // nothing was announced yet, and must now be told that announcements arrive.
                    failed = "a listener could not re-check what it remembers";
                    listeners.forEach(Listener::resync);
                }
                failed = "an announcement could not be handled";
                firstConnection = false;
                backoffMillis = 500;
                PGConnection pg = c.unwrap(PGConnection.class);
                long lastPing = System.nanoTime();
                while (running) {
                    PGNotification[] notes = pg.getNotifications(5_000);
                    if (notes != null) {
                        for (PGNotification n : notes) {
                            // Effective revisions are what readers and watchers serve; the own-layer
                            // channel is kept for servers of the previous release.
                            if (SENT_AT_CHANNEL.equals(n.getName())) {
                                lag(n.getParameter());
                            } else if (PRINCIPAL_CHANNEL.equals(n.getName())) {
                                principal(n.getParameter());
                            } else if (SESSION_CHANNEL.equals(n.getName())) {
                                session(n.getParameter());
                            } else if (LayerPersistenceAdapter.EFFECTIVE_CHANNEL.equals(n.getName())) {
                                deliver(n.getParameter(), Kind.EFFECTIVE);
                            } else if (LayerPersistenceAdapter.SOURCES_CHANNEL.equals(n.getName())) {
                                deliver(n.getParameter(), Kind.SOURCES);
                            } else {
                                deliver(n.getParameter(), Kind.OWN);
                            }
                        }
                    }
                    if (System.nanoTime() - lastPing > 15_000_000_000L) {
                        // Detects a half-open connection that would otherwise wait silently.
                        try (Statement s = c.createStatement()) {
                            s.execute("SELECT 1");
                        }
                        lastPing = System.nanoTime();
                    }
                }
            } catch (SQLException | RuntimeException | Error e) {
                // A listener (or the lag observer) that fails on an announcement is handled as a lost
                // connection: its thread must not end, which would leave `listening` up and every
                // instance's memory served as current while no announcement is heard any more. The
                // connection is made again and every listener re-checks what it remembers. An Error
                // too (a listener's StackOverflowError or AssertionError, a class that failed to
                // initialise): this thread is the only one that would ever lower `listening`.
                synchronized (state) {
                    if (listening) {
                        // Until the connection is made again, no other instance's change reaches this one:
                        // what it remembers must not be served as current meanwhile, however long that is
                        // (a database at its connection limit refuses the new connection for as long as it is full).
                        listening = false;
                        listeners.forEach(PostgresChangeFeed::interrupt);
                    }
                }
                if (!running) {
                    return;
                }
                if (e instanceof SQLException) {
                    LOG.log(System.Logger.Level.WARNING, "LISTEN connection lost (" + e.getMessage()
                            + "); reconnecting in " + backoffMillis + " ms");
                } else {
                    // A listener's failure is a bug to be found: said with where it happened, and
                    // told apart from a failed announcement when it was the re-check that failed.
                    LOG.log(System.Logger.Level.WARNING, failed + " (" + e + "); reconnecting in " + backoffMillis
                            + " ms", e);
                }
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException ie) {
                    return;
                }
                backoffMillis = Math.min(backoffMillis * 2, 10_000);
            }
        }
    }

    /** Tells one listener that announcements stopped; one that fails at it does not keep the others from hearing it. */
    private static void interrupt(Listener listener) {
        try {
            listener.interrupted();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.WARNING, "a change-feed listener failed when told that announcements stopped: " + e, e);
        }
    }

    /**
     * Whether the {@code LISTEN} connection is up: while it is down, watchers on this instance hear of
     * publishes made elsewhere only when it is back.
     *
     * @return true when listening
     */
    public boolean listening() {
        return listening;
    }

    /**
     * How many times the {@code LISTEN} connection was re-established since the start.
     *
     * @return the count
     */
    public long reconnects() {
        return reconnects.get();
    }

    /**
     * Tells an observer the lag of every notification received: from the publishing transaction
     * sending it (the database's clock) to this instance reading it (this host's clock).
     *
     * @param observer called on the listening thread; must return quickly
     */
    public void onNotificationLag(java.util.function.Consumer<java.time.Duration> observer) {
        this.lagObserver = java.util.Objects.requireNonNull(observer, "observer");
    }

    private void lag(String payload) {
        java.time.Duration lag;
        try {
            java.time.Instant sent = java.time.Instant.EPOCH.plus(Long.parseLong(payload.strip()),
                    java.time.temporal.ChronoUnit.MICROS);
            lag = java.time.Duration.between(sent, java.time.Instant.now());
        } catch (RuntimeException e) {
            // Anyone who may NOTIFY on the database can send anything: what is no time is ignored,
            // and the listening thread goes on.
            return;
        }
        // The database's clock and this host's may differ a little: a negative lag counts as none.
        lagObserver.accept(lag.isNegative() ? java.time.Duration.ZERO : lag);
    }

    /**
     * Announces, in the caller's transaction, that a subject's access may have changed: delivered
     * to every instance (this one included) only if the transaction commits.
     *
     * @param tx      the transaction making the change
     * @param subject the user name or collector id
     */
    static void announcePrincipal(io.helidon.dbclient.DbTransaction tx, String subject) {
        tx.get("SELECT pg_notify(?, ?) IS NULL AS sent", PRINCIPAL_CHANNEL, subject);
    }

    /**
     * Announces, in the caller's transaction, that a session ended: delivered to every instance
     * (this one included) only if the transaction commits.
     *
     * @param tx      the transaction ending it
     * @param subject the user name or collector id
     * @param session the session (its refresh-token family id)
     */
    static void announceSession(io.helidon.dbclient.DbTransaction tx, String subject, String session) {
        tx.get("SELECT pg_notify(?, ?) IS NULL AS sent", SESSION_CHANNEL, session + " " + subject);
    }

    private void session(String payload) {
        // The session comes first and holds no space, so the first space ends it whatever the subject.
        int space = payload.indexOf(' ');
        if (space < 1 || space > MAX_SESSION || payload.length() - space - 1 < 1
                || payload.length() - space - 1 > MAX_SUBJECT) {
            return;
        }
        String session = payload.substring(0, space);
        String subject = payload.substring(space + 1);
        for (Listener l : listeners) {
            l.sessionEnded(subject, session);
        }
    }

    private void principal(String payload) {
        // Anyone who may NOTIFY on the database can send anything: what can be no subject is ignored.
        // Any other only costs the subject a lookup and its watches an early check.
        if (payload.isEmpty() || payload.length() > MAX_SUBJECT) {
            return;
        }
        for (Listener l : listeners) {
            l.principalChanged(payload);
        }
    }

    /** What an announcement says. */
    private enum Kind { EFFECTIVE, SOURCES, OWN }

    private void deliver(String payload, Kind kind) {
        int colon = payload.lastIndexOf(':');
        if (colon < 1) {
            return;
        }
        String id = payload.substring(0, colon);
        if (!CollectorId.isValid(id)) {
            return;
        }
        ConfigVersion version;
        try {
            version = ConfigVersion.parse(payload.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            // Not a version this release understands: the next resync or read catches up.
            return;
        }
        CollectorId collectorId = CollectorId.of(id);
        for (Listener l : listeners) {
            switch (kind) {
                case OWN -> l.ownVersionPublished(collectorId, version);
                case SOURCES -> l.sourcesChanged(collectorId, version);
                case EFFECTIVE -> l.published(collectorId, version);
            }
        }
    }

    /** Stops listening. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }
}
