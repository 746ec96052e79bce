package io.pgfleet.bench.fleet;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory check tells a growing live set (a leak) apart from a JVM whose RSS grows as it
 * commits heap towards {@code -Xmx}.
 */
class MemoryCheckTest {

    @Test
    void rssGrowingTowardsXmxWithAFlatLiveHeapIsFlat() {
        // The 2,000-agent run: RSS 330 → 630 MiB with -Xmx768m; live set unchanged.
        MemoryCheck.Verdict v = MemoryCheck.server(330, 630, Optional.of(90.0), Optional.of(95.0), 768);
        assertTrue(v.flat(), v.detail());
    }

    @Test
    void aLiveHeapThatGrowsBeyondTheThresholdFailsEvenWithFlatRss() {
        // 100 → 200 MiB live is above 100 × 1.3 + 64 = 194.
        MemoryCheck.Verdict v = MemoryCheck.server(400, 410, Optional.of(100.0), Optional.of(200.0), 768);
        assertFalse(v.flat(), v.detail());
        assertTrue(MemoryCheck.server(400, 410, Optional.of(100.0), Optional.of(194.0), 768).flat(),
                "exactly at the limit holds");
    }

    @Test
    void rssAboveXmxPlusTheNativeAllowanceFailsEvenWithAFlatLiveHeap() {
        // -Xmx384m + 256 MiB = 640.
        assertFalse(MemoryCheck.server(250, 641, Optional.of(60.0), Optional.of(60.0), 384).flat());
        assertTrue(MemoryCheck.server(250, 640, Optional.of(60.0), Optional.of(60.0), 384).flat());
    }

    @Test
    void withoutBothLiveLooksTheRssGrowthDecides() {
        // A life killed before the end has no end look: RSS growth beyond 30 % + 64 MiB fails.
        assertFalse(MemoryCheck.server(330, 630, Optional.of(90.0), Optional.empty(), 768).flat());
        assertTrue(MemoryCheck.server(243, 277, Optional.empty(), Optional.empty(), 384).flat());
    }

    @Test
    void postgresqlIsJudgedOnItsGrowth() {
        assertTrue(MemoryCheck.growth("PSS", 200, 324).flat());
        assertFalse(MemoryCheck.growth("PSS", 200, 325).flat());
    }

    @Test
    void xmxIsReadInTheUnitsTheJvmTakes() {
        assertEquals(384, MemoryCheck.xmxMiB("384m"));
        assertEquals(768, MemoryCheck.xmxMiB("768M"));
        assertEquals(1024, MemoryCheck.xmxMiB("1g"));
        assertEquals(768, MemoryCheck.xmxMiB("786432k"));
        assertEquals(512, MemoryCheck.xmxMiB("536870912"));
        assertThrows(IllegalArgumentException.class, () -> MemoryCheck.xmxMiB("12x"));
    }

    @Test
    void theWarmLevelIsNotTakenInsideAPlannedOutage() {
        // Looks every 15 s over 2 h; the tier away from 10 to 70 minutes (+ 90 s settling): the quarter
        // (30 minutes) is inside, so the warm look is the first one after the settling.
        long[] at = new long[480];
        for (int i = 0; i < at.length; i++) {
            at[i] = i * 15_000L;
        }
        long[][] outages = {{600_000, 4_200_000 + 90_000}};
        int warm = MemoryCheck.warmIndex(at, outages);
        assertEquals(287, warm, "4,290,000 ms is look 286; the first after it is 287");
        assertEquals(120, MemoryCheck.warmIndex(at, new long[0][]), "without outages: the quarter");
        assertEquals(120, MemoryCheck.warmIndex(at, new long[][] {{0, Long.MAX_VALUE}}),
                "a life inside an outage throughout falls back to the quarter");
    }
}
