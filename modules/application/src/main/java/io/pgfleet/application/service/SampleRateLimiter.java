package io.pgfleet.application.service;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.SampleAllowance;
import io.pgfleet.domain.fleet.SampleRate;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each collector's {@link SampleAllowance} on this instance, in memory (N instances behind a
 * balancer allow up to N times the rate). Checked before anything touches the database, so a
 * refused push costs no connection.
 */
final class SampleRateLimiter {

    /** The most collectors whose allowance is remembered (≈ 200 bytes each: about 20 MiB). */
    static final int MAX_TRACKED = 100_000;

    private final SampleRate rate;
    private final int maxTracked;
    private final Map<CollectorId, SampleAllowance> allowances = new ConcurrentHashMap<>();

    SampleRateLimiter(SampleRate rate) {
        this(rate, MAX_TRACKED);
    }

    SampleRateLimiter(SampleRate rate, int maxTracked) {
        this.rate = java.util.Objects.requireNonNull(rate, "rate");
        if (maxTracked < 1) {
            throw new IllegalArgumentException("at least one collector is tracked");
        }
        this.maxTracked = maxTracked;
    }

    SampleRate rate() {
        return rate;
    }

    /**
     * Takes a batch's samples from the collector's allowance, all or none.
     *
     * @param collector the collector
     * @param count     the batch's cost ({@link SampleRate#cost})
     * @param now       the time
     * @return empty when taken, else how long until it would be
     */
    Optional<Duration> take(CollectorId collector, int count, Instant now) {
        SampleAllowance.Take[] outcome = new SampleAllowance.Take[1];
        allowances.compute(collector, (k, a) -> {
            outcome[0] = (a == null ? SampleAllowance.full(rate, now) : a).take(count, rate, now);
            return outcome[0].left();
        });
        bound(now);
        return outcome[0] instanceof SampleAllowance.Refused r ? Optional.of(r.retryAfter()) : Optional.empty();
    }

    /**
     * Gives back what {@link #take} took for a batch that was not stored.
     *
     * @param collector the collector
     * @param count     what was taken
     * @param now       the time
     */
    void giveBack(CollectorId collector, int count, Instant now) {
        allowances.computeIfPresent(collector, (k, a) -> a.giveBack(count, rate, now));
    }

    /** How many collectors are remembered. */
    int tracked() {
        return allowances.size();
    }

    /**
     * Past the bound, forgets the collectors whose allowance has refilled (forgetting those changes
     * nothing), then, if still over, arbitrary ones down to 90 %: a collector forgotten early gets a
     * whole burst again, which only a fleet of more than {@code maxTracked} pushing collectors can
     * cause; nobody is ever refused by it.
     */
    private void bound(Instant now) {
        if (allowances.size() <= maxTracked) {
            return;
        }
        allowances.values().removeIf(a -> a.fullAt(rate, now));
        Iterator<CollectorId> it = allowances.keySet().iterator();
        int excess = allowances.size() - maxTracked * 9 / 10;
        while (excess-- > 0 && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
