package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.Sample;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Samples waiting to be pushed: bounded, the oldest dropped first when full, drops counted.
 */
public final class SampleBuffer {

    private final int capacity;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private long dropped;

    /**
     * A buffer of a given size.
     *
     * @param capacity most samples held
     */
    public SampleBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity is positive");
        }
        this.capacity = capacity;
    }

    /**
     * The most samples held.
     *
     * @return the capacity ({@code buffer_samples})
     */
    public int capacity() {
        return capacity;
    }

    /**
     * Adds samples, dropping the oldest when full.
     *
     * @param more the new samples
     */
    public synchronized void addAll(List<Sample> more) {
        for (Sample s : more) {
            if (samples.size() == capacity) {
                samples.pollFirst();
                dropped++;
            }
            samples.addLast(s);
        }
    }

    /**
     * Takes up to {@code max} of the oldest samples out.
     *
     * @param max the most to take
     * @return the samples, oldest first
     */
    public synchronized List<Sample> take(int max) {
        List<Sample> out = new ArrayList<>(Math.min(max, samples.size()));
        while (out.size() < max && !samples.isEmpty()) {
            out.add(samples.pollFirst());
        }
        return out;
    }

    /**
     * Takes the oldest samples out, as many as fit both limits (at least one when any is waiting).
     *
     * @param maxCount the most samples
     * @param maxBytes the most bytes, as {@code size} counts them
     * @param size     the size of one sample
     * @return the samples, oldest first
     */
    public synchronized List<Sample> take(int maxCount, long maxBytes, ToLongFunction<Sample> size) {
        List<Sample> out = new ArrayList<>();
        long bytes = 0;
        while (out.size() < maxCount && !samples.isEmpty()) {
            long next = size.applyAsLong(samples.peekFirst());
            if (!out.isEmpty() && bytes + next > maxBytes) {
                break;
            }
            bytes += next;
            out.add(samples.pollFirst());
        }
        return out;
    }

    /**
     * The samples held, oldest first, without taking them (to keep them on disk).
     *
     * @return a copy
     */
    public synchronized List<Sample> snapshot() {
        return List.copyOf(samples);
    }

    /**
     * How many samples are waiting.
     *
     * @return the count
     */
    public synchronized int size() {
        return samples.size();
    }

    /**
     * Counts samples dropped before they reached the buffer because it could not hold them (the
     * older part of what the last run kept, beyond the buffer's size).
     *
     * @param n how many
     */
    public synchronized void countDropped(long n) {
        dropped += n;
    }

    /**
     * How many samples were dropped because the buffer was full, since the agent started.
     *
     * @return the count
     */
    public synchronized long dropped() {
        return dropped;
    }
}
