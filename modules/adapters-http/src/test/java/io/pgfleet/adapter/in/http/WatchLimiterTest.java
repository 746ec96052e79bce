package io.pgfleet.adapter.in.http;

import io.pgfleet.application.port.in.WatchHold;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WatchLimiterTest {

    /** A watch that waits: it takes its slot. */
    private static WatchHold waiting(WatchLimiter limiter, String collector) {
        WatchHold h = limiter.hold(collector);
        h.waiting();
        return h;
    }

    @Test
    void aWatchBeyondTheLimitEndsTheCollectorsOldestAndTakesItsPlace() {
        WatchLimiter limiter = new WatchLimiter(3);
        List<WatchHold> holds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            holds.add(waiting(limiter, "db-01"));
        }
        WatchHold otherCollector = waiting(limiter, "db-02");
        WatchHold fourth = waiting(limiter, "db-01");
        assertTrue(holds.get(0).ended(), "the oldest watch of db-01 is ended");
        assertFalse(holds.get(1).ended());
        assertFalse(holds.get(2).ended());
        assertFalse(fourth.ended());
        assertFalse(otherCollector.ended(), "another collector's watches are not touched");
        assertEquals(3, limiter.held("db-01"), "never more than the limit");

        limiter.release("db-01", holds.get(0)); // the ended watch answers and gives back what it no longer has
        assertEquals(3, limiter.held("db-01"));
        waiting(limiter, "db-01");
        assertTrue(holds.get(1).ended(), "next in age");
    }

    @Test
    void aWatchAnsweredAtOnceTakesNoSlotAndEndsNobody() {
        WatchLimiter limiter = new WatchLimiter(1);
        WatchHold held = waiting(limiter, "db-01");
        WatchHold answeredAtOnce = limiter.hold("db-01");
        limiter.release("db-01", answeredAtOnce);
        assertFalse(held.ended(), "a watch that never waited needs no room");
        assertEquals(1, limiter.held("db-01"));
    }

    @Test
    void releasedSlotsAreFreeAgainAndNothingIsKeptForACollectorWithoutWatches() {
        WatchLimiter limiter = new WatchLimiter(2);
        WatchHold a = waiting(limiter, "db-01");
        WatchHold b = waiting(limiter, "db-01");
        limiter.release("db-01", a);
        WatchHold c = waiting(limiter, "db-01");
        assertFalse(b.ended(), "a free slot ends nobody");
        assertFalse(c.ended());
        limiter.release("db-01", b);
        limiter.release("db-01", c);
        assertEquals(0, limiter.held("db-01"));
    }
}
