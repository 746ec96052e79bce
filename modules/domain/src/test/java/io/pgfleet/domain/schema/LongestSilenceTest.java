package io.pgfleet.domain.schema;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LongestSilenceTest {

    private static EffectiveConfig config(long pullSeconds, long pushSeconds, long everyCollectorSeconds, boolean on) {
        EffectiveConfig d = EffectiveConfig.defaults();
        Map<CollectorKind, EffectiveConfig.Schedule> s = new EnumMap<>(CollectorKind.class);
        for (CollectorKind kind : CollectorKind.values()) {
            s.put(kind, new EffectiveConfig.Schedule(on, Duration.ofSeconds(everyCollectorSeconds)));
        }
        return new EffectiveConfig(Duration.ofSeconds(pullSeconds), Duration.ofSeconds(pushSeconds), true,
                d.postgres(), s, d.diskPaths());
    }

    @Test
    void theDefaultsAreHeardFromWithinTheirPullInterval() {
        assertEquals(Duration.ofSeconds(300), EffectiveConfig.defaults().longestSilence());
    }

    @Test
    void anAgentThatPushesLessOftenThanItPullsIsHeardFromAtItsPushes() {
        assertEquals(Duration.ofSeconds(120), config(10, 120, 30, true).longestSilence());
        assertEquals(Duration.ofSeconds(3600), config(300, 3600, 30, true).longestSilence());
        assertEquals(Duration.ofSeconds(300), config(300, 60, 30, true).longestSilence());
    }

    @Test
    void anAgentWhoseCollectorsSampleRarelyPushesOnlyWhenTheyHave() {
        assertEquals(Duration.ofSeconds(1800), config(300, 60, 1800, true).longestSilence());
        assertEquals(Duration.ofSeconds(300), config(300, 60, 1800, false).longestSilence(),
                "collectors that are off say nothing of when it pushes");
    }
}
