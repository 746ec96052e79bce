package io.pgfleet.domain.reload;

import io.pgfleet.domain.schema.EffectiveConfig;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * When the agent asks the server for its configuration next. It pulls at start-up; then it
 * watches (long-polls) when {@code watch = true}, else polls every {@code config_pull_interval}
 * ±10 %; after failures it backs off exponentially with full jitter, capped at the pull interval
 * and at {@link #MAX_BACKOFF} whichever is shorter, and never retries sooner than {@link #MIN_RETRY}.
 */
public final class PullPolicy {

    /** The first backoff step. */
    public static final Duration BASE_BACKOFF = Duration.ofSeconds(1);
    /** No retry comes sooner than this, whatever the jitter draws: no busy loop. */
    public static final Duration MIN_RETRY = Duration.ofMillis(250);
    /**
     * The longest pause after failures, whatever the pull interval: a fleet is back within about
     * a minute after an outage ends, instead of up to the pull interval (5 min by default) for an
     * agent that happened to draw a long pause. SPEC §3 caps the back-off at the pull interval; a
     * lower cap complies. A whole fleet coming back over this minute is the load to plan for
     * (100,000 agents: about 1,700 requests/s; docs/capacity.md).
     */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(60);

    private PullPolicy() {
    }

    /**
     * The pause after a successful pull or watch.
     *
     * @param config the configuration in force
     * @param random jitter source
     * @return zero when watching (the next long-poll starts at once; the server holds it), else
     *         the pull interval ±10 %
     */
    public static Duration afterSuccess(EffectiveConfig config, RandomGenerator random) {
        if (config.watch()) {
            return Duration.ZERO;
        }
        return jittered(config.pullInterval(), random);
    }

    /**
     * The pull interval ±10 %, so that a fleet started together spreads out.
     *
     * @param interval the interval
     * @param random   jitter source
     * @return a duration within [0.9, 1.1] × interval
     */
    public static Duration jittered(Duration interval, RandomGenerator random) {
        double factor = 0.9 + 0.2 * random.nextDouble();
        return Duration.ofMillis(Math.round(interval.toMillis() * factor));
    }

    /**
     * The pause after consecutive failures: full jitter, uniformly in
     * [0, min(cap, {@link #MAX_BACKOFF}, 1 s × 2^(n-1))], but at least {@link #MIN_RETRY}.
     *
     * @param consecutiveFailures how many attempts failed in a row, at least 1
     * @param cap                 the longest pause asked for (the pull interval); never above
     *                            {@link #MAX_BACKOFF}
     * @param random              jitter source
     * @return the pause
     */
    public static Duration afterFailure(int consecutiveFailures, Duration cap, RandomGenerator random) {
        if (consecutiveFailures < 1) {
            throw new IllegalArgumentException("after a failure the count is at least 1");
        }
        long ceiling = BASE_BACKOFF.toMillis() << Math.min(consecutiveFailures - 1, 30);
        ceiling = Math.min(Math.max(ceiling, 1), Math.min(cap.toMillis(), MAX_BACKOFF.toMillis()));
        long drawn = (long) (random.nextDouble() * ceiling);
        return Duration.ofMillis(Math.max(drawn, Math.min(MIN_RETRY.toMillis(), ceiling)));
    }

    /**
     * The pause after a failure whose answer asked for one ({@code Retry-After}, e.g. with 429 when
     * the server is overloaded): the back-off, but never sooner than the server asked, plus up to
     * half of that again drawn at random, so that a fleet told the same pause does not come back
     * in one burst.
     *
     * @param backoff    the pause {@link #afterFailure} drew
     * @param retryAfter what the server asked for, if anything
     * @param random     jitter source
     * @return the pause
     */
    public static Duration honouring(Duration backoff, java.util.Optional<Duration> retryAfter, RandomGenerator random) {
        if (retryAfter.isEmpty() || retryAfter.get().isZero() || retryAfter.get().isNegative()) {
            return backoff;
        }
        long asked = retryAfter.get().toMillis();
        long spread = asked + (long) (random.nextDouble() * (asked / 2.0));
        return Duration.ofMillis(Math.max(backoff.toMillis(), spread));
    }
}
