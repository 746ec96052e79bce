package io.pgfleet.domain.reload;

import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReloadPolicyTest {

    /** A random source that always draws the same number. */
    private static RandomGenerator fixed(double value) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public double nextDouble() {
                return value;
            }
        };
    }

    private static EffectiveConfig config(boolean watch, long pgStatsSeconds, boolean pgStatsOn) {
        EffectiveConfig d = EffectiveConfig.defaults();
        Map<CollectorKind, EffectiveConfig.Schedule> s = new EnumMap<>(d.collectors());
        s.put(CollectorKind.PG_STATS, new EffectiveConfig.Schedule(pgStatsOn, Duration.ofSeconds(pgStatsSeconds)));
        return new EffectiveConfig(d.pullInterval(), d.pushInterval(), watch, d.postgres(), s, d.diskPaths());
    }

    @Test
    void watchingPullsAgainAtOnceAndPollingWaitsTheIntervalWithTenPercentJitter() {
        assertEquals(Duration.ZERO, PullPolicy.afterSuccess(config(true, 60, true), fixed(0.5)));
        assertEquals(Duration.ofSeconds(270), PullPolicy.afterSuccess(config(false, 60, true), fixed(0.0)));
        assertEquals(Duration.ofSeconds(330), PullPolicy.afterSuccess(config(false, 60, true), fixed(1.0)));
    }

    @Test
    void backoffGrowsExponentiallyWithFullJitterUpToTheCap() {
        Duration cap = Duration.ofSeconds(300);
        assertEquals(Duration.ofMillis(1000), PullPolicy.afterFailure(1, cap, fixed(1.0)));
        assertEquals(Duration.ofMillis(8000), PullPolicy.afterFailure(4, cap, fixed(1.0)));
        assertEquals(Duration.ofMillis(4000), PullPolicy.afterFailure(4, cap, fixed(0.5)));
        assertEquals(Duration.ofSeconds(10), PullPolicy.afterFailure(30, Duration.ofSeconds(10), fixed(1.0)),
                "a pull interval under a minute is the cap");
    }

    @Test
    void afterAnOutageNoAgentWaitsMoreThanAMinuteWhateverItsPullInterval() {
        // Nine failures in an outage with the default 300 s pull interval: the exponential step is
        // 256 s, the pause still at most a minute, so the fleet is back within a minute of the end.
        Duration pullInterval = Duration.ofSeconds(300);
        for (int n = 1; n <= 40; n++) {
            for (double draw : new double[] {0.0, 0.5, 0.999, 1.0}) {
                Duration pause = PullPolicy.afterFailure(n, pullInterval, fixed(draw));
                assertTrue(pause.compareTo(Duration.ofSeconds(60)) <= 0, n + " failures, draw " + draw + ": " + pause);
            }
        }
        assertEquals(Duration.ofSeconds(60), PullPolicy.afterFailure(9, pullInterval, fixed(1.0)));
        assertEquals(Duration.ofSeconds(30), PullPolicy.afterFailure(9, pullInterval, fixed(0.5)));
        assertEquals(PullPolicy.MAX_BACKOFF, Duration.ofSeconds(60));
    }

    @Test
    void backoffNeverDropsToABusyLoop() {
        for (int n = 1; n < 40; n++) {
            assertTrue(PullPolicy.afterFailure(n, Duration.ofSeconds(10), fixed(0.0)).compareTo(PullPolicy.MIN_RETRY) >= 0);
        }
    }

    @Test
    void onlyNewerVersionsAreAppliedAndAFailedVersionIsNotRetried() {
        assertInstanceOf(ApplyDecision.Apply.class, ApplyPolicy.decide(0, 0, 1));
        assertInstanceOf(ApplyDecision.Apply.class, ApplyPolicy.decide(3, 0, 4));
        assertInstanceOf(ApplyDecision.Skip.class, ApplyPolicy.decide(4, 0, 4));
        assertInstanceOf(ApplyDecision.Skip.class, ApplyPolicy.decide(4, 0, 2));
        assertInstanceOf(ApplyDecision.Skip.class, ApplyPolicy.decide(3, 4, 4));
        assertInstanceOf(ApplyDecision.Apply.class, ApplyPolicy.decide(3, 4, 5));
    }

    @Test
    void aChangeNamesWhatStartsStopsAndIsRescheduled() {
        ConfigChange faster = ConfigChange.between(config(true, 60, true), config(true, 2, true));
        assertEquals(Set.of(CollectorKind.PG_STATS), faster.rescheduled());
        assertFalse(faster.reconnect());
        assertTrue(faster.describe(config(true, 2, true)).contains("pg_stats now every 2 s"));

        ConfigChange off = ConfigChange.between(config(true, 2, true), config(true, 2, false));
        assertEquals(Set.of(CollectorKind.PG_STATS), off.stopped());
        ConfigChange on = ConfigChange.between(config(true, 2, false), config(true, 2, true));
        assertEquals(Set.of(CollectorKind.PG_STATS), on.started());
        assertTrue(ConfigChange.between(config(true, 60, true), config(true, 60, true)).isEmpty());
        assertTrue(ConfigChange.between(config(true, 60, true), config(false, 60, true)).watchChanged());
    }
}
