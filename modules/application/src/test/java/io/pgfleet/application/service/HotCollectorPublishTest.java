package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Parallel publishes to one collector take turns before they hold a transaction (and its
 * connection), and those that wait share the next transaction (one commit for all of them).
 */
class HotCollectorPublishTest {

    private static PublishConfigCommand command(int interval, Precondition precondition) {
        return new PublishConfigCommand(CollectorId.of("hot"), Given.document(interval), precondition, Given.alice(), "");
    }

    /**
     * Starts the first publish and holds it inside its transaction, then starts the others (in this
     * order) and waits until each waits for its turn; then lets everything go.
     */
    private static List<PublishResult> firstHeldThenTogether(HoldingStore store, List<PublishConfigCommand> commands)
            throws Exception {
        PublishConfigService publish = store.publisher();
        List<Future<PublishResult>> results = new ArrayList<>();
        try (ExecutorService first = Executors.newSingleThreadExecutor()) {
            results.add(first.submit(() -> publish.publish(commands.get(0))));
            store.awaitHeld();
            for (PublishConfigCommand c : commands.subList(1, commands.size())) {
                // In arrival order: the next one starts once this one waits for its turn.
                results.add(HoldingStore.startWaiting(() -> publish.publish(c)));
            }
            store.release();
            List<PublishResult> out = new ArrayList<>();
            for (Future<PublishResult> f : results) {
                out.add(f.get(1, TimeUnit.MINUTES));
            }
            return out;
        }
    }

    @Test
    void publishesWaitingForOneCollectorShareOneTransaction() throws Exception {
        InMemoryLayerStore memory = new InMemoryLayerStore().withCollector("hot", Map.of());
        HoldingStore store = HoldingStore.over(memory);
        List<PublishConfigCommand> commands = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            commands.add(command(i, new Precondition.None()));
        }
        List<PublishResult> results = firstHeldThenTogether(store, commands);
        for (int i = 0; i < 10; i++) {
            ConfigRevision r = assertInstanceOf(PublishResult.Published.class, results.get(i)).revision();
            assertEquals(i + 1, r.version().value(), "versions in arrival order, gap-free");
            assertEquals(Given.document(i + 1), r.document());
        }
        assertEquals(2, store.transactions(), "the nine that waited were stored in one transaction");
        assertEquals(10, memory.audit().size(), "every publish has its audit entry");
        EffectiveRevision effective = memory.loadEffective(CollectorId.of("hot")).orElseThrow();
        assertEquals(List.of("collector@10"), effective.sources(), "the effective document is the last publish's");
        assertEquals(10, effective.revision().value(), "every publish counts one effective revision");
        assertEquals(List.of("hot:1", "hot:10"), memory.announced(), "one announcement per commit");
    }

    @Test
    void eachPublishOfABatchIsDecidedAgainstTheOneBeforeIt() throws Exception {
        InMemoryLayerStore memory = new InMemoryLayerStore().withCollector("hot", Map.of());
        HoldingStore store = HoldingStore.over(memory);
        // The first one will be version 1; both followers name it, and only the first of them can win.
        Precondition ifVersion1 = new Precondition.MatchesOneOf(List.of(
                EntityTag.of(new ConfigVersion(1), Given.document(1).hash())));
        List<PublishResult> results = firstHeldThenTogether(store, List.of(command(1, new Precondition.None()),
                command(2, ifVersion1), command(3, ifVersion1), command(4, new Precondition.None()),
                command(4, new Precondition.None())));
        assertEquals(1, assertInstanceOf(PublishResult.Published.class, results.get(0)).revision().version().value());
        assertEquals(2, assertInstanceOf(PublishResult.Published.class, results.get(1)).revision().version().value());
        assertInstanceOf(PublishResult.VersionConflict.class, results.get(2), "If-Match of a version no longer latest");
        assertEquals(3, assertInstanceOf(PublishResult.Published.class, results.get(3)).revision().version().value());
        assertInstanceOf(PublishResult.Unchanged.class, results.get(4), "the same document again is unchanged");
        assertEquals(3, memory.audit().size(), "refused and unchanged publishes leave no audit entry");
        assertEquals(2, store.transactions());
    }

    /** Counts how many callers are inside a transaction, or waiting to get into one, at once. */
    private static final class CountingStore implements LayerStorePort {
        private final InMemoryLayerStore delegate;
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();

        CountingStore(InMemoryLayerStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T transact(Function<Transaction, Outcome<T>> work) {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                // A transaction that takes a moment, like one that waits for a commit to reach the disk.
                Thread.sleep(2);
                return delegate.transact(work);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                inside.decrementAndGet();
            }
        }
    }

    @Test
    void parallelPublishesToOneCollectorHoldOneTransactionAtATime() throws Exception {
        InMemoryLayerStore store = new InMemoryLayerStore().withCollector("hot", Map.of());
        CountingStore counting = new CountingStore(store);
        PublishConfigService publish = HoldingStore.publisher(counting);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<PublishResult>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 1; i <= 40; i++) {
                int interval = i;
                results.add(pool.submit(() -> {
                    go.await();
                    return publish.publish(new PublishConfigCommand(CollectorId.of("hot"), Given.document(interval),
                            new Precondition.None(), Given.alice(), ""));
                }));
            }
            go.countDown();
            TreeSet<Integer> versions = new TreeSet<>();
            for (Future<PublishResult> f : results) {
                PublishResult r = f.get(1, TimeUnit.MINUTES);
                versions.add(assertInstanceOf(PublishResult.Published.class, r).revision().version().value());
            }
            assertEquals(40, versions.size());
            assertEquals(40, versions.last());
        }
        assertEquals(1, counting.most.get(), "publishes to one collector never wait inside a transaction");
    }
}
