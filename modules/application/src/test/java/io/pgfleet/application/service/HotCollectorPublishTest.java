package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
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

/** Parallel publishes to one collector take turns before they hold a transaction (and its connection). */
class HotCollectorPublishTest {

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
        PublishConfigService publish = new PublishConfigService(
                new LayeredOwnAppender(counting, new LayerComposer(new LineParser()), s -> { }),
                new DocumentValidator(new LineParser()), Clock.fixed(Given.T0, ZoneOffset.UTC));
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
