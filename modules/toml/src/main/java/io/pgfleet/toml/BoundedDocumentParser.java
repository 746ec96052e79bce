package io.pgfleet.toml;

import io.pgfleet.application.port.out.DocumentParsingBusyException;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ParseOutcome;

import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Another parser with a bound on how many documents it parses at once, and on how many wait for a
 * slot; a document beyond both is refused at once with {@link DocumentParsingBusyException}.
 *
 * <p>Why: a 256 KiB document of tens of thousands of keys takes up to seconds of one core, and a
 * parse never yields its virtual thread's carrier. Unbounded, a few dozen parallel dry runs from
 * one viewer occupied every carrier, and even the liveness check waited seconds. With fewer slots
 * than carriers, other requests always find a carrier. The parse stays on the caller's thread (a
 * permit costs nanoseconds, a hand-off to a pool microseconds, which matters to compositions that
 * parse thousands of small documents); a caller that waits for a slot parks and frees its carrier.
 */
public final class BoundedDocumentParser implements ParseConfigDocumentPort {

    /** Documents parsed at once by default: half the processors, at least one. */
    public static final int DEFAULT_SLOTS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    /** Documents waiting for a slot by default. */
    public static final int DEFAULT_QUEUE = 16;

    private final ParseConfigDocumentPort parser;
    private final int queue;
    private final Semaphore slots;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();

    /**
     * Bounds a parser.
     *
     * @param parser the parser doing the work
     * @param slots  documents parsed at once, 1..64
     * @param queue  documents waiting for a slot, 1..10,000
     */
    public BoundedDocumentParser(ParseConfigDocumentPort parser, int slots, int queue) {
        this.parser = Objects.requireNonNull(parser, "parser");
        if (slots < 1 || slots > 64 || queue < 1 || queue > 10_000) {
            throw new IllegalArgumentException("parse slots must be 1..64 and the parse queue 1..10000");
        }
        this.queue = queue;
        this.slots = new Semaphore(slots, true);
    }

    @Override
    public ParseOutcome parse(ConfigDocument document) {
        acquire();
        int now = running.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
        try {
            return parser.parse(document);
        } finally {
            running.decrementAndGet();
            slots.release();
        }
    }

    private void acquire() {
        if (slots.tryAcquire()) {
            return;
        }
        if (waiting.incrementAndGet() > queue) {
            waiting.decrementAndGet();
            refused.incrementAndGet();
            throw new DocumentParsingBusyException("every configuration parsing slot is busy and "
                    + queue + " documents already wait for one");
        }
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DocumentParsingBusyException("interrupted while waiting for a configuration parsing slot");
        } finally {
            waiting.decrementAndGet();
        }
    }

    /**
     * Documents being parsed right now.
     *
     * @return the count
     */
    public int running() {
        return running.get();
    }

    /**
     * The most documents ever parsed at once by this parser.
     *
     * @return the count, at most the slots
     */
    public int peak() {
        return peak.get();
    }

    /**
     * Whether a document waits for a slot right now.
     *
     * @return true while one does
     */
    public boolean hasQueuedCallers() {
        return waiting.get() > 0 && slots.hasQueuedThreads();
    }

    /**
     * Documents refused because every slot and the wait queue were full.
     *
     * @return the count since start
     */
    public long refused() {
        return refused.get();
    }
}
