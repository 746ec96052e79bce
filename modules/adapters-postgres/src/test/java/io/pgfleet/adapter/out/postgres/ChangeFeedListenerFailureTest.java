package io.pgfleet.adapter.out.postgres;

import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A listener that fails on an announcement (a bug in a cache, say) must not end the feed's thread:
 * the feed would still say it listens, and every instance's memory would be served as current while
 * no announcement arrives any more. It is handled as a lost connection: every listener is told that
 * announcements stopped, the connection is made again, every listener re-checks, and later
 * announcements arrive as before. Against a real PostgreSQL's LISTEN/NOTIFY.
 */
class ChangeFeedListenerFailureTest {

    /** What a listener was told, in order. */
    private static final class Told implements ConfigChangeFeedPort.Listener {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final AtomicBoolean failNext = new AtomicBoolean();
        /** Thrown at the next announcement, when set: an Error rather than an exception. */
        final AtomicReference<Error> errorNext = new AtomicReference<>();

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
            events.add("resync");
        }

        String next() throws InterruptedException {
            String e = events.poll(60, TimeUnit.SECONDS);
            return e == null ? "nothing within 60 s" : e;
        }
    }

    private static void announce(TestDatabase db, String payload) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("NOTIFY " + LayerPersistenceAdapter.EFFECTIVE_CHANNEL + ", '" + payload + "'");
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
        assertEquals("resync", told.next(), "the connection is made again and everything re-checked");

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
}
