package io.pgfleet.server;

import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.ProvisionCollectorCommand;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.in.UseCases;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.identity.Actor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static io.pgfleet.server.Documents.aDocument;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Publishes to different collectors that wait while others are stored share one transaction on
 * the real database, each with its own outcome: the refused one stores nothing (no version, no
 * audit entry, no effective revision), the others are stored with their audit entries.
 */
class GroupCommitPublishIT {

    @RegisterExtension
    static final OpenStorage DB = new OpenStorage();

    private static final Actor ALICE = new Actor("alice", "192.0.2.1");
    /** How many publish transactions run at once (LayeredOwnAppender.MAX_IN_FLIGHT): all are held. */
    private static final int SLOTS = 2;

    private static ConfigDocument doc(int interval) {
        return new ConfigDocument(aDocument().pushInterval(interval).toml());
    }

    private static PublishConfigCommand publish(String id, int interval, Precondition precondition) {
        return new PublishConfigCommand(CollectorId.of(id), doc(interval), precondition, ALICE, "");
    }

    private static FutureTask<PublishResult> start(PublishConfigUseCase publish, PublishConfigCommand command) {
        FutureTask<PublishResult> task = new FutureTask<>(() -> publish.publish(command));
        Thread.ofPlatform().start(task);
        return task;
    }

    @Test
    void aRefusedPublishStoredTogetherWithOthersLeavesNothingAndTheOthersAreStored() throws Exception {
        UseCases app = PgfleetServer.useCases(DB.storage(), TestServers.settings(DB.database()), Clock.systemUTC());
        PublishConfigUseCase publish = app.config().publish();
        for (String id : List.of("held-0", "held-1", "alpha", "stale", "gamma")) {
            app.collectors().provision().provision(new ProvisionCollectorCommand(CollectorId.of(id), id, "", Map.of(), ALICE));
        }
        // "stale" has versions 1 and 2; an editor who read version 1 publishes later.
        PublishResult.Published first = assertInstanceOf(PublishResult.Published.class,
                publish.publish(publish("stale", 11, new Precondition.None())));
        assertInstanceOf(PublishResult.Published.class, publish.publish(publish("stale", 12, new Precondition.None())));
        Precondition readVersion1 = new Precondition.MatchesOneOf(List.of(EntityTag.of(first.revision().version(),
                first.revision().hash())));

        List<Connection> holders = new ArrayList<>();
        List<FutureTask<PublishResult>> held = new ArrayList<>();
        List<FutureTask<PublishResult>> together = new ArrayList<>();
        try {
            // Every publish transaction waits for a row another connection holds: the next publishes wait in memory.
            for (int i = 0; i < SLOTS; i++) {
                Connection c = DB.database().connect();
                holders.add(c);
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.executeQuery("SELECT id FROM collectors WHERE id = 'held-" + i + "' FOR UPDATE").close();
                }
                held.add(start(publish, publish("held-" + i, 1, new Precondition.None())));
            }
            awaitWaitingForRowLocks(SLOTS);
            // A second publish of alpha waits in the same batch: stored by the same statement, after the first.
            List<PublishConfigCommand> commands = List.of(publish("alpha", 1, new Precondition.None()),
                    publish("stale", 13, readVersion1), publish("gamma", 3, new Precondition.None()),
                    publish("alpha", 2, new Precondition.None()));
            for (PublishConfigCommand command : commands) {
                FutureTask<PublishResult> task = new FutureTask<>(() -> publish.publish(command));
                Thread t = Thread.ofPlatform().start(task);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(Thread.State.WAITING, t.getState(), "a publish waits while every transaction is busy");
                together.add(task);
            }
        } finally {
            for (Connection c : holders) {
                c.rollback();
                c.close();
            }
        }
        for (FutureTask<PublishResult> f : held) {
            assertInstanceOf(PublishResult.Published.class, f.get(1, TimeUnit.MINUTES));
        }
        PublishResult alpha = together.get(0).get(1, TimeUnit.MINUTES);
        PublishResult stale = together.get(1).get(1, TimeUnit.MINUTES);
        PublishResult gamma = together.get(2).get(1, TimeUnit.MINUTES);
        PublishResult alphaAgain = together.get(3).get(1, TimeUnit.MINUTES);

        PublishResult.VersionConflict conflict = assertInstanceOf(PublishResult.VersionConflict.class, stale);
        assertEquals(2, conflict.current().orElseThrow().version().value(), "the conflict names the latest version");
        assertEquals(doc(1), assertInstanceOf(PublishResult.Published.class, alpha).revision().document());
        assertEquals(doc(3), assertInstanceOf(PublishResult.Published.class, gamma).revision().document());
        assertEquals(2, assertInstanceOf(PublishResult.Published.class, alphaAgain).revision().version().value(),
                "the second publish of alpha follows the first");

        try (Connection c = DB.database().connect()) {
            // One transaction stored both (the refused one between them in arrival order).
            long alphaTx = single(c, "SELECT xmin::text::bigint FROM config_revisions WHERE collector_id = 'alpha'"
                    + " AND version = 1");
            assertEquals(alphaTx, single(c, "SELECT xmin::text::bigint FROM config_revisions WHERE collector_id = 'alpha'"
                    + " AND version = 2"));
            assertEquals(alphaTx, single(c, "SELECT xmin::text::bigint FROM config_revisions WHERE collector_id = 'gamma'"),
                    "the waiting publishes shared one transaction");
            assertNotEquals(alphaTx, single(c, "SELECT xmin::text::bigint FROM config_revisions WHERE collector_id = 'held-0'"));
            assertEquals(alphaTx, single(c, "SELECT xmin::text::bigint FROM audit_log WHERE collector_id = 'alpha'"
                    + " AND action = 'config.publish' AND version = 2"));
            // Audit entries in arrival order: alpha's first, gamma's, alpha's second.
            assertEquals("alpha@1 gamma@1 alpha@2", text(c, "SELECT string_agg(collector_id || '@' || version, ' '"
                    + " ORDER BY id) FROM audit_log WHERE action = 'config.publish' AND collector_id IN ('alpha', 'gamma')"));
            assertEquals(alphaTx, single(c, "SELECT xmin::text::bigint FROM audit_log WHERE collector_id = 'gamma'"
                    + " AND action = 'config.publish'"));
            assertEquals(alphaTx, single(c, "SELECT xmin::text::bigint FROM effective_configs WHERE collector_id = 'gamma'"));
            // The refused publish left nothing: versions 1 and 2, their two audit entries, revision 2.
            assertEquals(2, single(c, "SELECT count(*) FROM config_revisions WHERE collector_id = 'stale'"));
            assertEquals(2, single(c, "SELECT max(version) FROM config_revisions WHERE collector_id = 'stale'"));
            assertEquals(2, single(c, "SELECT latest_version FROM collectors WHERE id = 'stale'"));
            assertEquals(2, single(c, "SELECT count(*) FROM audit_log WHERE collector_id = 'stale'"
                    + " AND action = 'config.publish'"));
            assertEquals(2, single(c, "SELECT revision FROM effective_configs WHERE collector_id = 'stale'"));
            // Each stored one: its version, its audit entry, its effective revision and document.
            for (String id : List.of("alpha", "gamma")) {
                int versions = id.equals("alpha") ? 2 : 1;
                assertEquals(versions, single(c, "SELECT count(*) FROM config_revisions WHERE collector_id = '" + id + "'"));
                assertEquals(versions, single(c, "SELECT latest_version FROM collectors WHERE id = '" + id + "'"));
                assertEquals(versions, single(c, "SELECT count(*) FROM audit_log WHERE collector_id = '" + id
                        + "' AND action = 'config.publish' AND version <= " + versions));
                assertEquals(versions, single(c, "SELECT revision FROM effective_configs WHERE collector_id = '" + id + "'"));
            }
        }
        ConfigLookup.Found gammaNow = assertInstanceOf(ConfigLookup.Found.class,
                app.config().get().latest(CollectorId.of("gamma")), "read your writes");
        assertEquals(List.of("collector@1"), gammaNow.sources());
    }

    private static String text(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }

    private static long single(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            assertTrue(rs.next(), sql);
            return rs.getLong(1);
        }
    }

    private static void awaitWaitingForRowLocks(int count) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = DB.database().connect()) {
            while (true) {
                long waiting = single(c, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        + " AND datname = current_database()");
                if (waiting >= count) {
                    return;
                }
                assertTrue(System.nanoTime() < deadline, "publishes waiting for the held rows: " + waiting);
                Thread.sleep(5);
            }
        }
    }
}
