package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.out.LayerStorePort;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A layer store that holds its first transactions until released, so that the publishes arriving
 * meanwhile wait in memory for a transaction slot; it counts the transactions. Built like test data:
 * {@code HoldingStore.over(memory).holdingFirst(2)}, then {@link #publisher()} publishes through it.
 */
final class HoldingStore implements LayerStorePort {

    private final InMemoryLayerStore delegate;
    private final int held;
    private final AtomicInteger transactions = new AtomicInteger();
    private final CountDownLatch entered;
    private final CountDownLatch release = new CountDownLatch(1);

    private HoldingStore(InMemoryLayerStore delegate, int held) {
        this.delegate = delegate;
        this.held = held;
        this.entered = new CountDownLatch(held);
    }

    /**
     * @param delegate where the transactions run once let through
     * @return a store holding its first transaction
     */
    static HoldingStore over(InMemoryLayerStore delegate) {
        return new HoldingStore(delegate, 1);
    }

    /**
     * @param count how many transactions to hold
     * @return a store over the same delegate holding its first {@code count} transactions
     */
    HoldingStore holdingFirst(int count) {
        return new HoldingStore(delegate, count);
    }

    /** @return a publish service whose own-layer appender stores through this store */
    PublishConfigService publisher() {
        return publisher(this);
    }

    /**
     * @param store where publishes are stored
     * @return a publish service (line parser, fixed clock) whose own-layer appender stores through it
     */
    static PublishConfigService publisher(LayerStorePort store) {
        return new PublishConfigService(new LayeredOwnAppender(store, new LayerComposer(new LineParser()), s -> { }),
                new DocumentValidator(new LineParser()), Clock.fixed(Given.T0, ZoneOffset.UTC));
    }

    /** Waits until every held transaction has arrived. */
    void awaitHeld() throws InterruptedException {
        assertTrue(entered.await(1, TimeUnit.MINUTES), "the held transactions arrived");
    }

    /**
     * Waits until at least this many held transactions have arrived: a test that needs each of its
     * first publishes in a transaction of its own starts the next one only then, since publishes
     * that arrive together may share one.
     *
     * @param count how many
     */
    void awaitHeld(int count) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        synchronized (entered) {
            while (held - entered.getCount() < count) {
                long left = end - System.nanoTime();
                assertTrue(left > 0, count + " held transactions arrived");
                entered.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            }
        }
    }

    /** Lets the held transactions (and every later one) through. */
    void release() {
        release.countDown();
    }

    /** @return how many transactions were asked for so far */
    int transactions() {
        return transactions.get();
    }

    @Override
    public <T> T transact(Function<Transaction, Outcome<T>> work) {
        if (transactions.incrementAndGet() <= held) {
            synchronized (entered) {
                entered.countDown();
                entered.notifyAll();
            }
            try {
                release.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        return delegate.transact(work);
    }

    /**
     * Starts a call on a thread of its own and returns once that thread waits (for a transaction
     * slot, when the call is a publish arriving while transactions are held), so calls started one
     * after another wait in that order.
     *
     * @param call the call
     * @param <T>  its result
     * @return its future result
     */
    static <T> FutureTask<T> startWaiting(Callable<T> call) {
        FutureTask<T> task = new FutureTask<>(call);
        Thread t = Thread.ofPlatform().start(task);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(Thread.State.WAITING, t.getState(), "the call waits for its turn");
        return task;
    }
}
