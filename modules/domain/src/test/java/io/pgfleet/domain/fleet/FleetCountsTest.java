package io.pgfleet.domain.fleet;

import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FleetCountsTest {

    private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");

    private static FleetMember member(String id, boolean revoked, boolean seen, int latest, int applied,
                                      Optional<ApplyStatus> status, boolean hashAgrees, boolean stale) {
        return new FleetMember(new Collector(CollectorId.of(id), id, "", Map.of(), T0, revoked),
                seen ? Optional.of(T0) : Optional.empty(), latest, applied, status, "", applied, hashAgrees, stale,
                Optional.empty(), "");
    }

    @Test
    void eachCollectorNotRevokedIsCountedByStateAndByApplyStatus() {
        FleetCounts counts = FleetCounts.of(List.of(
                member("in-sync", false, true, 2, 2, Optional.of(ApplyStatus.APPLIED), true, false),
                member("drifted", false, true, 2, 2, Optional.of(ApplyStatus.APPLIED), false, false),
                member("failed", false, true, 2, 1, Optional.of(ApplyStatus.FAILED), true, true),
                member("never-seen", false, false, 0, 0, Optional.empty(), true, false),
                member("pre-provisioned", false, false, 3, 0, Optional.empty(), true, false),
                member("unconfigured", false, true, 0, 0, Optional.empty(), true, false),
                member("revoked", true, false, 1, 1, Optional.of(ApplyStatus.APPLIED), true, true)));
        assertEquals(new FleetCounts(2, 2, 1, 2, 1, 2, 1, 3, 0), counts);
        assertEquals(new FleetCounts(0, 0, 0, 0, 0, 0, 0, 0, 0), FleetCounts.of(List.of()));
    }

    @Test
    void aCollectorNeverSeenIsNeitherStaleNorOutOfSyncAndOneWithNothingPublishedIsInSync() {
        FleetMember neverSeen = member("pre-provisioned", false, false, 3, 0, Optional.empty(), true, false);
        assertTrue(neverSeen.neverSeen());
        assertFalse(neverSeen.inSync());
        assertFalse(neverSeen.outOfSync());
        assertFalse(neverSeen.stale());
        FleetMember unconfigured = member("unconfigured", false, true, 0, 0, Optional.empty(), true, false);
        assertTrue(unconfigured.inSync(), "it runs the defaults, which is what the server wants");
        assertFalse(unconfigured.outOfSync());
        FleetMember behind = member("behind", false, true, 3, 2, Optional.of(ApplyStatus.APPLIED), true, false);
        assertTrue(behind.outOfSync());
    }

    @Test
    void aRevokedCollectorIsAStateOfItsOwnNeitherInSyncNorOutOfSync() {
        // Seen, nothing published: in sync were it not revoked; it can take nothing from the server now.
        FleetMember revoked = member("revoked", true, true, 0, 0, Optional.empty(), true, false);
        assertFalse(revoked.inSync());
        assertFalse(revoked.outOfSync());
    }

    @Test
    void countsThatDoNotAddUpAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new FleetCounts(-1, 1, 0, 0, 0, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FleetCounts(1, 1, 0, 0, 0, 1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FleetCounts(1, 0, 0, 1, 0, 1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FleetCounts(1, 0, 2, 0, 0, 1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new FleetCounts(1, 0, 2, 1, 0, 2, 0, 0, 0),
                "a collector never seen is not stale");
    }
}
