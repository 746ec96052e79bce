package io.pgfleet.adapter.out.postgres;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener that fails on an announcement (a bug in a cache, say) must not end the feed's thread:
 * the feed would still say it listens, and every instance's memory would be served as current while
 * no announcement arrives any more. It is handled as a lost connection for that listener alone: it
 * is told that announcements stopped, re-checks, and hears later announcements as before, while the
 * connection stays up and the other listeners hear everything. One whose re-check keeps failing is
 * told to re-check less and less often, and said in the log once, not at every attempt. Against a
 * real PostgreSQL's LISTEN/NOTIFY.
 */
class ChangeFeedListenerFailureTest {

    /** What a listener was told, in order. */
    private static final class Told implements ConfigChangeFeedPort.Listener {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final AtomicBoolean failNext = new AtomicBoolean();
        /** Thrown at the next announcement, when set: an Error rather than an exception. */
        final AtomicReference<Error> errorNext = new AtomicReference<>();
        /** How many of the next resyncs fail. */
        final AtomicInteger resyncsToFail = new AtomicInteger();
        final String name;

        Told(String name) {
            this.name = name;
        }

        Told() {
            this("told");
        }

        @Override
        public void published(CollectorId collectorId, ConfigVersion version) {
            if (failNext.getAndSet(false)) {
                throw new IllegalStateException("a listener's bug");
            }
            Error error = errorNext.getAndSet(null);
            if (error != null) {
                throw error;
            }
            events.add("published " + collectorId.value() + ":" + version.value());
        }

        @Override
        public void interrupted() {
            events.add("interrupted");
        }

        @Override
        public void resync() {
            if (resyncsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                events.add("resync failed");
                throw new IllegalStateException("a listener's bug in its re-check");
            }
            events.add("resync");
        }

        @Override
        public String toString() {
            return name;
        }

        String next() throws InterruptedException {
            String e = events.poll(60, TimeUnit.SECONDS);
            return e == null ? "nothing within 60 s" : e;
        }
    }

    /** Announces, in one transaction (delivered together, in this order). */
    private static void announce(TestDatabase db, String... payloads) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String payload : payloads) {
                s.execute("NOTIFY " + LayerPersistenceAdapter.EFFECTIVE_CHANNEL + ", '" + payload + "'");
            }
            c.commit();
        }
    }

    /** The feed's first connection, which the listener was told of (after its absence, if it subscribed first). */
    private static void connected(Told told) throws InterruptedException {
        String first = told.next();
        if (first.equals("interrupted")) {
            first = told.next();
        }
        assertEquals("resync", first);
    }

    /** After an announcement the listener failed on: handled as a lost connection, then heard as before. */
    private static void recovers(TestDatabase db, Told told) throws Exception {
        assertEquals("interrupted", told.next(), "nothing remembered is current while no announcement is heard");
        assertEquals("resync", told.next(), "told to re-check everything");

        announce(db, "db-1:4");
        assertEquals("published db-1:4", told.next(), "announcements arrive as before");
    }

    @Test
    void aListenerThatFailsOnAnAnnouncementIsHandledAsALostConnectionAndAnnouncementsGoOn() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        Told told = new Told();
        try (PostgresChangeFeed feed = new PostgresChangeFeed(new DatabaseSettings(db.url(), db.user(), db.password(), 1))) {
            feed.subscribe(told);
            connected(told);

            announce(db, "db-1:2");
            assertEquals("published db-1:2", told.next());

            told.failNext.set(true);
            announce(db, "db-1:3");
            recovers(db, told);
        }
    }

    /**
     * An Error a listener throws (a StackOverflowError of deep recursion, an AssertionError, a class
     * that failed to initialise) ended the thread as an exception once did: `listening` stayed up,
     * the connection stayed open and nothing was heard any more.
     */
    @Test
    void aListenerThatThrowsAnErrorOnAnAnnouncementIsHandledAsALostConnectionToo() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        Told told = new Told();
        try (PostgresChangeFeed feed = new PostgresChangeFeed(new DatabaseSettings(db.url(), db.user(), db.password(), 1))) {
            feed.subscribe(told);
            connected(told);

            told.errorNext.set(new StackOverflowError("a listener's recursion"));
            announce(db, "db-1:3");
            recovers(db, told);
        }
    }

    /**
     * One listener's failure once made the feed drop its connection and every listener start over:
     * the others were told that announcements stopped, missed the rest of the batch the failure came
     * in, and re-checked everything (the watchers' resync wakes every held watch).
     */
    @Test
    void aListenerThatFailsKeepsNoOtherFromHearingAnnouncementsAndTheConnectionStaysUp() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        Told failing = new Told("failing");
        Told other = new Told("other");
        try (PostgresChangeFeed feed = new PostgresChangeFeed(new DatabaseSettings(db.url(), db.user(), db.password(), 1))) {
            feed.subscribe(failing);
            feed.subscribe(other);
            connected(failing);
            connected(other);

            failing.failNext.set(true);
            announce(db, "db-1:3", "db-1:5");
            assertEquals("published db-1:3", other.next(), "heard although the listener before it failed on it");
            assertEquals("published db-1:5", other.next(), "and the rest of the batch");
            assertEquals("interrupted", failing.next());
            assertEquals("resync", failing.next());

            announce(db, "db-1:6");
            assertEquals("published db-1:6", failing.next(), "the failed listener hears announcements again");
            assertEquals("published db-1:6", other.next(), "the other was never interrupted");
            assertEquals(0, feed.reconnects(), "the connection was not given up");
            assertEquals(1, feed.listenerFailures());
            assertEquals(0, feed.failingListeners());
        }
    }

    /**
     * A listener whose re-check keeps failing once made the feed reconnect every 10 s for ever, every
     * other listener re-checking each time, with a warning and a stack trace each time. Now only it is
     * told to re-check, less and less often, the connection stays up, and the streak is said once
     * when it starts and once when it ends; meanwhile it hears no announcement (it serves nothing it
     * remembers as current: it was told that announcements stopped).
     */
    @Test
    void aListenerWhoseReCheckKeepsFailingIsRetriedAloneWithoutReconnectingAndSaidOncePerStreak() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        Told stubborn = new Told("stubborn");
        Told other = new Told("other");
        stubborn.resyncsToFail.set(3);
        List<LogRecord> said = new CopyOnWriteArrayList<>();
        Logger jul = Logger.getLogger(PostgresChangeFeed.class.getName());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (String.valueOf(r.getMessage()).contains("stubborn")) {
                    said.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(handler);
        try (PostgresChangeFeed feed = new PostgresChangeFeed(new DatabaseSettings(db.url(), db.user(), db.password(), 1))) {
            feed.subscribe(stubborn);
            feed.subscribe(other);
            connected(other);
            if (stubborn.events.peek() != null && stubborn.events.peek().equals("interrupted")) {
                stubborn.next(); // subscribed before the first connection
            }
            for (int attempt = 1; attempt <= 3; attempt++) {
                assertEquals("resync failed", stubborn.next(), "attempt " + attempt);
                assertEquals("interrupted", stubborn.next(), "a failed re-check is not trusted: attempt " + attempt);
                if (attempt == 1) {
                    assertEquals(1, feed.failingListeners(), "the gauge says so while it lasts");
                    // Announced while it fails: the other hears it, the failing one does not.
                    announce(db, "db-1:2");
                    assertEquals("published db-1:2", other.next());
                }
            }
            assertEquals("resync", stubborn.next(), "told to re-check again until it works");
            announce(db, "db-1:4");
            assertEquals("published db-1:4", stubborn.next(), "nothing announced while it failed reached it");
            assertEquals("published db-1:4", other.next(), "the other was told nothing else meanwhile");

            assertEquals(0, feed.reconnects(), "the connection was never given up");
            assertEquals(3, feed.listenerFailures());
            assertEquals(0, feed.failingListeners());
            assertEquals(2, said.size(), "one line when the streak starts, one when it ends: " + said);
            assertEquals(Level.WARNING, said.get(0).getLevel());
            assertTrue(said.get(0).getThrown() != null, "with the stack trace");
            // Named as it names itself (toString), the name quoted.
            assertTrue(said.get(0).getMessage().startsWith("change-feed listener 'stubborn' failed when told to re-check"),
                    said.get(0).getMessage());
            assertTrue(said.get(1).getMessage().contains("after 3 failures"), said.get(1).getMessage());
        } finally {
            jul.removeHandler(handler);
        }
    }

    @Test
    void aFailingListenerIsToldToReCheckLessAndLessOftenUpToOnceAMinute() {
        assertEquals(500, PostgresChangeFeed.retryMillis(1));
        assertEquals(1_000, PostgresChangeFeed.retryMillis(2));
        assertEquals(2_000, PostgresChangeFeed.retryMillis(3));
        assertEquals(32_000, PostgresChangeFeed.retryMillis(7));
        assertEquals(60_000, PostgresChangeFeed.retryMillis(8));
        assertEquals(60_000, PostgresChangeFeed.retryMillis(Integer.MAX_VALUE), "a streak of any length");
    }

    /**
     * A peer that stops answering without closing the connection (a partition, a host gone; here the
     * connection's backend stopped with SIGSTOP, so nothing answers and nothing is refused): the ping
     * finds it within the ping interval plus the statement timeout, listeners are told that
     * announcements stopped, and the feed listens again on a new connection.
     */
    @Test
    void aConnectionWhosePeerStopsAnsweringIsGivenUpAfterThePingsWaitAndMadeAgain() throws Exception {
        TestDatabase db = TestPostgres.newDatabase();
        Told told = new Told();
        DatabaseSettings settings = new DatabaseSettings(db.url(), db.user(), db.password(), 1,
                java.time.Duration.ofSeconds(1));
        try (PostgresChangeFeed feed = new PostgresChangeFeed(settings, java.time.Duration.ofMillis(200))) {
            feed.subscribe(told);
            connected(told);
            long backend = listenBackend(db);
            signal("STOP", backend);
            try {
                assertEquals("interrupted", told.next(), "the silent connection is noticed");
                assertEquals("resync", told.next(), "and listened on again, on a new connection");
                assertEquals(1, feed.reconnects());
                announce(db, "db-1:7");
                assertEquals("published db-1:7", told.next());
            } finally {
                signal("CONT", backend);
            }
        }
    }

    private static long listenBackend(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                     + " AND application_name = '" + PostgresChangeFeed.APPLICATION_NAME + "'")) {
            assertTrue(r.next(), "the feed's connection");
            long pid = r.getLong(1);
            assertTrue(!r.next(), "one connection");
            return pid;
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    }
}
