package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Publishes to different collectors that wait while transactions run share the next transaction,
 * each with its own outcome: a refused one stores nothing and does not stop the others.
 */
class GroupCommitPublishTest {

    private static PublishConfigCommand command(String collector, int interval, Precondition precondition) {
        return new PublishConfigCommand(CollectorId.of(collector), Given.document(interval), precondition,
                Given.alice(), "");
    }

    private static FutureTask<PublishResult> start(PublishConfigService publish, PublishConfigCommand c) {
        FutureTask<PublishResult> task = new FutureTask<>(() -> publish.publish(c));
        Thread.ofPlatform().start(task);
        return task;
    }

    @Test
    void publishesToDifferentCollectorsWaitingTogetherShareOneTransactionEachWithItsOwnOutcome() throws Exception {
        InMemoryLayerStore memory = new InMemoryLayerStore();
        for (String id : List.of("held-1", "held-2", "a", "b", "c")) {
            memory.withCollector(id, Map.of());
        }
        HoldingStore store = HoldingStore.over(memory).holdingFirst(LayeredOwnAppender.MAX_IN_FLIGHT);
        PublishConfigService publish = store.publisher();
        // Every slot busy: the publishes after these wait in memory.
        List<FutureTask<PublishResult>> held = new ArrayList<>();
        // One after the other: two publishes arriving together would share one transaction.
        held.add(start(publish, command("held-1", 1, new Precondition.None())));
        store.awaitHeld(1);
        held.add(start(publish, command("held-2", 1, new Precondition.None())));
        store.awaitHeld();

        // "b" has no version 1: its If-Match fails. "a" is published twice, the second against the first.
        Precondition ifVersion1 = new Precondition.MatchesOneOf(List.of(
                EntityTag.of(new ConfigVersion(1), Given.document(7).hash())));
        List<PublishConfigCommand> commands = List.of(
                command("a", 1, new Precondition.None()),
                command("b", 7, ifVersion1),
                command("c", 3, new Precondition.None()),
                command("a", 2, new Precondition.MatchesOneOf(List.of(
                        EntityTag.of(new ConfigVersion(1), Given.document(1).hash())))),
                command("nobody", 4, new Precondition.None()));
        List<FutureTask<PublishResult>> together = new ArrayList<>();
        for (PublishConfigCommand c : commands) {
            together.add(HoldingStore.startWaiting(() -> publish.publish(c)));
        }
        store.release();
        for (FutureTask<PublishResult> f : held) {
            assertInstanceOf(PublishResult.Published.class, f.get(1, TimeUnit.MINUTES));
        }
        List<PublishResult> results = new ArrayList<>();
        for (FutureTask<PublishResult> f : together) {
            results.add(f.get(1, TimeUnit.MINUTES));
        }

        assertEquals(3, store.transactions(), "the five that waited were decided in one transaction");
        assertEquals(1, assertInstanceOf(PublishResult.Published.class, results.get(0)).revision().version().value());
        assertInstanceOf(PublishResult.VersionConflict.class, results.get(1), "b has no version 1");
        PublishResult.Published c = assertInstanceOf(PublishResult.Published.class, results.get(2));
        assertEquals(CollectorId.of("c"), c.revision().collectorId());
        assertEquals(Given.document(3), c.revision().document());
        PublishResult.Published a2 = assertInstanceOf(PublishResult.Published.class, results.get(3),
                "If-Match of the version the batch stored just before");
        assertEquals(2, a2.revision().version().value());
        assertEquals(Given.document(2), a2.revision().document());
        assertInstanceOf(PublishResult.CollectorNotFound.class, results.get(4));

        // Audit entries exactly for what was stored.
        List<String> audited = memory.audit().stream().map(GroupCommitPublishTest::subject).sorted().toList();
        assertEquals(List.of("a@1", "a@2", "c@1", "held-1@1", "held-2@1"), audited);
        assertTrue(memory.loadEffective(CollectorId.of("b")).isEmpty(), "nothing stored for the refused one");
        assertEquals(List.of("collector@2"), memory.loadEffective(CollectorId.of("a")).orElseThrow().sources());
        assertEquals(List.of("collector@1"), memory.loadEffective(CollectorId.of("c")).orElseThrow().sources());
    }

    private static String subject(AuditEntry e) {
        return ((AuditSubject.OfCollector) e.subject()).collectorId().value() + "@" + e.version();
    }
}
