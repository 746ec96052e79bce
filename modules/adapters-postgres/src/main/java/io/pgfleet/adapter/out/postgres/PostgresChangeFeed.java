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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@code LISTEN} connection per server instance, outside the pool, fanning publish
 * announcements out to the subscribers. When the connection is lost it tells the subscribers that
 * announcements stopped ({@link Listener#interrupted()}: nothing remembered is current meanwhile),
 * reconnects with backoff and tells them to resync, so no watcher waits forever on a change it
 * missed and no reader is answered from memory while changes go unheard.
 *
 * <p>A listener that fails (throws on an announcement, or when told to resync) is handled as a lost
 * connection for itself alone: it is told that announcements stopped, hears none until it resyncs,
 * and is told to resync again after 0.5 s, 1 s, 2 s… at most every 60 s; the connection
 * stays up and the other listeners hear every announcement. A streak of failures is logged once when
 * it starts (with the stack trace) and once when it ends, and counted ({@link #failingListeners()},
 * {@link #listenerFailures()}).
 *
 * <p>A connection whose peer vanished without closing it (a network partition, a host gone) is
 * noticed by a ping every 15 s that waits at most the statement timeout for its
 * answer: within 15 s plus that timeout (45 s with the default 30 s).
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
    /**
     * How often the connection is asked a {@code SELECT 1}: a connection whose peer is gone without
     * closing it (a partition) delivers nothing and reports nothing; the ping's answer, awaited at most
     * the statement timeout, is what tells it from a quiet one. Cheap (one trivial query per instance
     * every 15 s), and it keeps the connection from looking idle to a firewall that drops idle flows.
     * TCP keepalive would not do better: its probes start after two hours idle by default, pgjdbc sets
     * no shorter time per connection, and a ping sent keeps the connection from being idle anyway.
     */
    static final Duration PING_INTERVAL = Duration.ofSeconds(15);
    /** The longest single wait for notifications: the loop's other duties (ping, retries) are checked at least this often. */
    private static final long POLL_MILLIS = 5_000;
    /** The wait before a failed listener is told to resync, doubled after each failure up to {@link #MAX_RETRY}. */
    static final Duration FIRST_RETRY = Duration.ofMillis(500);
    /**
     * The longest wait between two resyncs of a listener that keeps failing: a failing listener is only
     * slower (it reads the database instead of memory), and each attempt may cost something (a resync
     * of the watchers wakes every one of them), so a lasting bug costs one attempt a minute, and a
     * passing failure is over within a minute of its cause.
     */
    static final Duration MAX_RETRY = Duration.ofSeconds(60);

    private final DatabaseSettings settings;
    private final long pingNanos;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Connection connection;
    private volatile boolean listening;
    /** Orders the changes of {@link #listening} and of each subscriber's standing with what listeners are told of them. */
    private final Object state = new Object();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicInteger failingListeners = new AtomicInteger();
    private final AtomicLong listenerFailures = new AtomicLong();
    private volatile java.util.function.Consumer<java.time.Duration> lagObserver = lag -> { };
    /** The clock the lag is measured on: the database's, as the notification's time is. */
    private volatile java.time.Clock lagClock = java.time.Clock.systemUTC();

    /**
     * A listener and where it stands. {@link #inStep} changes under {@link #state}; the streak of
     * failures is the listening thread's alone.
     */
    private static final class Subscriber {
        final Listener listener;
        /**
         * Whether it heard every announcement since its last resync: true from a resync to the next
         * lost connection or failure of its own. Announcements go only to listeners in step.
         */
        volatile boolean inStep;
        /** Failures in a row; 0 when the last resync (or announcement) succeeded. */
        int failures;
        long streakStartNanos;
        long retryAtNanos;

        Subscriber(Listener listener, boolean inStep) {
            this.listener = listener;
            this.inStep = inStep;
        }

        /** Whether it may be told to resync now: at once unless it is waiting out a failure. */
        boolean due(long now) {
            return failures == 0 || now - retryAtNanos >= 0;
        }
    }

    /**
     * Starts listening.
     *
     * @param settings where the database is
     */
    public PostgresChangeFeed(DatabaseSettings settings) {
        this(settings, PING_INTERVAL);
    }

    /** With another ping interval: for tests of a vanished peer that do not wait 15 s. */
    PostgresChangeFeed(DatabaseSettings settings, Duration pingInterval) {
        this.settings = settings;
        this.pingNanos = pingInterval.toNanos();
        this.thread = Thread.ofPlatform().daemon().name("pgfleet-listen").start(this::run);
    }

    @Override
    public void subscribe(Listener listener) {
        // Under the lock that orders the feed's own changes of state: a listener that joins while the
        // connection is down (or not made yet, at start) learns so, and is told of the next connection.
        synchronized (state) {
            subscribers.add(new Subscriber(listener, listening));
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
        // As the pool's: no row PostgreSQL quotes in an error's detail in what is logged.
        p.setProperty(PostgresStorage.NO_ERROR_DETAIL, "false");
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
                    // nothing was announced yet, and must now be told that announcements arrive. One
                    // waiting out failures of its own is told when its wait is over.
                    long now = System.nanoTime();
                    for (Subscriber s : subscribers) {
                        if (!s.inStep && s.due(now)) {
                            resync(s);
                        }
                    }
                }
                failed = "an announcement could not be handled";
                firstConnection = false;
                backoffMillis = 500;
                PGConnection pg = c.unwrap(PGConnection.class);
                long lastPing = System.nanoTime();
                while (running) {
                    PGNotification[] notes = pg.getNotifications(waitMillis(lastPing));
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
                    if (System.nanoTime() - lastPing >= pingNanos) {
                        // Detects a half-open connection that would otherwise wait silently: the answer
                        // is awaited at most the statement timeout (the connection's socket timeout).
                        try (Statement s = c.createStatement()) {
                            s.execute("SELECT 1");
                        }
                        lastPing = System.nanoTime();
                    }
                    retryFailedListeners();
                }
            } catch (SQLException | RuntimeException | Error e) {
                // Listeners' failures are handled one by one where they are called; what comes here
                // failed in the feed itself (the lag observer, say), and is handled as a lost
                // connection: this thread must not end, which would leave `listening` up and every
                // instance's memory served as current while no announcement is heard any more. The
                // connection is made again and every listener re-checks what it remembers. An Error
                // too (a StackOverflowError, a class that failed to initialise): this thread is the
                // only one that would ever lower `listening`.
                synchronized (state) {
                    if (listening) {
                        // Until the connection is made again, no other instance's change reaches this one:
                        // what it remembers must not be served as current meanwhile, however long that is
                        // (a database at its connection limit refuses the new connection for as long as it is full).
                        listening = false;
                        for (Subscriber s : subscribers) {
                            // One out of step (failing) was told already, and nothing since.
                            if (s.inStep) {
                                s.inStep = false;
                                interrupt(s.listener);
                            }
                        }
                    }
                }
                if (!running) {
                    return;
                }
                if (e instanceof SQLException) {
                    LOG.log(System.Logger.Level.WARNING, "LISTEN connection lost (" + e.getMessage()
                            + "); reconnecting in " + backoffMillis + " ms");
                } else {
                    // A bug to be found: said with where it happened.
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

    /**
     * How long the next wait for notifications may be: until the next ping or the next resync of a
     * failing listener is due, at most {@link #POLL_MILLIS}, at least a millisecond (0 would wait for ever).
     */
    private int waitMillis(long lastPing) {
        long now = System.nanoTime();
        long until = Math.min(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS), lastPing + pingNanos - now);
        if (failingListeners.get() > 0) {
            for (Subscriber s : subscribers) {
                if (s.failures > 0) {
                    until = Math.min(until, s.retryAtNanos - now);
                }
            }
        }
        return (int) Math.max(1, (until + 999_999) / 1_000_000);
    }

    /** Tells the failing listeners whose wait is over to resync (once per wait for notifications, not per announcement). */
    private void retryFailedListeners() {
        if (failingListeners.get() == 0) {
            return;
        }
        synchronized (state) {
            long now = System.nanoTime();
            for (Subscriber s : subscribers) {
                if (!s.inStep && s.failures > 0 && s.due(now)) {
                    resync(s);
                }
            }
        }
    }

    /** Tells a listener to resync, while listening; it is in step from then on, or failed again. */
    private void resync(Subscriber s) {
        try {
            s.listener.resync();
        } catch (RuntimeException | Error e) {
            failed(s, "when told to re-check what it remembers", e);
            return;
        }
        s.inStep = true;
        if (s.failures > 0) {
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - s.streakStartNanos);
            LOG.log(System.Logger.Level.INFO, "change-feed listener '" + s.listener + "' re-checked what it remembers after "
                    + s.failures + (s.failures == 1 ? " failure" : " failures") + " over " + seconds
                    + " s; it hears announcements again");
            s.failures = 0;
            failingListeners.decrementAndGet();
        }
    }

    /**
     * A listener failed: handled as a lost connection for it alone. It is told that announcements
     * stopped (after a failed resync too: whatever the resync did half is not to be trusted), hears
     * none until it resyncs, and is told to resync after a wait that doubles with each failure in a
     * row, up to {@link #MAX_RETRY}. Logged when the streak starts, not at each failure: a lasting bug
     * says so once (and in the gauge), instead of a line and a stack trace every few seconds.
     */
    private void failed(Subscriber s, String what, Throwable e) {
        listenerFailures.incrementAndGet();
        synchronized (state) {
            s.inStep = false;
            interrupt(s.listener);
        }
        long now = System.nanoTime();
        s.failures++;
        long retry = retryMillis(s.failures);
        if (s.failures == 1) {
            s.streakStartNanos = now;
            failingListeners.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "change-feed listener '" + s.listener + "' failed " + what + " (" + e
                    + "); until it re-checks what it remembers it hears no announcement and takes nothing it remembers"
                    + " for current; told to re-check in " + retry + " ms, then less and less often (at most every "
                    + MAX_RETRY.toSeconds() + " s), and said again here once it does", e);
        }
        s.retryAtNanos = now + TimeUnit.MILLISECONDS.toNanos(retry);
    }

    /**
     * The wait before a listener that failed this many times in a row is told to resync again: 0.5 s,
     * 1 s, 2 s… up to {@link #MAX_RETRY}.
     *
     * @param failures failures in a row, at least 1
     * @return the wait in milliseconds
     */
    static long retryMillis(int failures) {
        // Shifted at most 20 times: far past the cap, and no overflow however long the streak.
        long doubled = FIRST_RETRY.toMillis() << Math.min(failures - 1, 20);
        return Math.min(doubled, MAX_RETRY.toMillis());
    }

    /** Tells one listener that announcements stopped; one that fails at it does not keep the others from hearing it. */
    private static void interrupt(Listener listener) {
        try {
            listener.interrupted();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.WARNING, "change-feed listener '" + listener + "' failed when told that announcements stopped: " + e, e);
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
     * How many listeners failed (on an announcement or when told to resync) and have not resynced
     * since: each hears no announcement and takes nothing it remembers for current meanwhile.
     *
     * @return the count, 0 when all are well
     */
    public int failingListeners() {
        return failingListeners.get();
    }

    /**
     * How many times a listener failed, on an announcement or when told to resync, since the start.
     *
     * @return the count
     */
    public long listenerFailures() {
        return listenerFailures.get();
    }

    /**
     * Tells an observer the lag of every notification received: from the publishing transaction
     * sending it to this instance reading it, both on the database's clock.
     *
     * @param observer called on the listening thread; must return quickly
     * @param clock    the database's clock as this instance tells it ({@link PostgresStorage#clock}):
     *                 the notification carries the database's time, and this host's clock may be
     *                 minutes away from it
     */
    public void onNotificationLag(java.util.function.Consumer<java.time.Duration> observer, java.time.Clock clock) {
        this.lagClock = java.util.Objects.requireNonNull(clock, "clock");
        this.lagObserver = java.util.Objects.requireNonNull(observer, "observer");
    }

    private void lag(String payload) {
        java.time.Duration lag;
        try {
            java.time.Instant sent = java.time.Instant.EPOCH.plus(Long.parseLong(payload.strip()),
                    java.time.temporal.ChronoUnit.MICROS);
            lag = java.time.Duration.between(sent, lagClock.instant());
        } catch (RuntimeException e) {
            // Anyone who may NOTIFY on the database can send anything: what is no time is ignored,
            // and the listening thread goes on.
            return;
        }
        // The database's clock as this instance tells it is off by up to half a measurement's round
        // trip: a negative lag counts as none.
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
        for (Subscriber s : subscribers) {
            if (s.inStep) {
                try {
                    s.listener.sessionEnded(subject, session);
                } catch (RuntimeException | Error e) {
                    failed(s, "on an announcement", e);
                }
            }
        }
    }

    private void principal(String payload) {
        // Anyone who may NOTIFY on the database can send anything: what can be no subject is ignored.
        // Any other only costs the subject a lookup and its watches an early check.
        if (payload.isEmpty() || payload.length() > MAX_SUBJECT) {
            return;
        }
        for (Subscriber s : subscribers) {
            if (s.inStep) {
                try {
                    s.listener.principalChanged(payload);
                } catch (RuntimeException | Error e) {
                    failed(s, "on an announcement", e);
                }
            }
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
        for (Subscriber s : subscribers) {
            // One out of step missed announcements already: it hears them again once it resynced.
            if (!s.inStep) {
                continue;
            }
            Listener l = s.listener;
            try {
                switch (kind) {
                    case OWN -> l.ownVersionPublished(collectorId, version);
                    case SOURCES -> l.sourcesChanged(collectorId, version);
                    case EFFECTIVE -> l.published(collectorId, version);
                }
            } catch (RuntimeException | Error e) {
                // Contained: the others hear this announcement and the rest of the batch.
                failed(s, "on an announcement", e);
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
