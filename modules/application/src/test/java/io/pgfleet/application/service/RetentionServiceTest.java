package io.pgfleet.application.service;

import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.port.out.PurgeExpiredDataPort;
import io.pgfleet.application.port.out.SamplePartitionsPort;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RetentionServiceTest {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");

    /** An in-memory table per kind: row times, deleted oldest first up to the batch size. */
    private static class Tables implements PurgeExpiredDataPort {
        final Map<Kind, List<Instant>> rows = new EnumMap<>(Kind.class);
        final List<String> calls = new ArrayList<>();
        /** The database's clock. */
        Instant databaseNow = NOW;

        @Override
        public Instant databaseNow() {
            return databaseNow;
        }

        @Override
        public int purge(Kind kind, Instant cutoff, int maxRows) {
            calls.add(kind + " " + cutoff + " " + maxRows);
            List<Instant> table = rows.getOrDefault(kind, new ArrayList<>());
            int deleted = 0;
            for (var it = table.iterator(); it.hasNext() && deleted < maxRows; ) {
                if (it.next().isBefore(cutoff)) {
                    it.remove();
                    deleted++;
                }
            }
            return deleted;
        }

        /** Versions beyond those kept, per history. */
        final Map<History, Integer> surplus = new EnumMap<>(History.class);

        @Override
        public int purgeHistory(History history, int keepNewest, int maxRows) {
            calls.add(history + " keep " + keepNewest + " " + maxRows);
            int deleted = Math.min(maxRows, surplus.getOrDefault(history, 0));
            surplus.merge(history, -deleted, Integer::sum);
            return deleted;
        }

        /** Finished rollouts that ended at these times. */
        final List<Instant> finishedRollouts = new ArrayList<>();

        @Override
        public int purgeFinishedRollouts(Instant endedBefore, int maxRollouts) {
            calls.add("ROLLOUTS " + endedBefore + " " + maxRollouts);
            int deleted = 0;
            for (var it = finishedRollouts.iterator(); it.hasNext() && deleted < maxRollouts; ) {
                if (it.next().isBefore(endedBefore)) {
                    it.remove();
                    deleted++;
                }
            }
            return deleted;
        }

        /** Groups deleted at these times. */
        final List<Instant> deletedGroups = new ArrayList<>();
        /** Collectors decommissioned at these times, not yet reduced to their tombstones. */
        final List<Instant> decommissioned = new ArrayList<>();

        @Override
        public int purgeDeletedGroups(Instant deletedBefore, int maxGroups) {
            calls.add("GROUPS " + deletedBefore + " " + maxGroups);
            return removeBefore(deletedGroups, deletedBefore, maxGroups);
        }

        @Override
        public int purgeDecommissionedCollectors(Instant decommissionedBefore, int maxCollectors) {
            calls.add("COLLECTORS " + decommissionedBefore + " " + maxCollectors);
            return removeBefore(decommissioned, decommissionedBefore, maxCollectors);
        }

        private static int removeBefore(List<Instant> times, Instant cutoff, int max) {
            int deleted = 0;
            for (var it = times.iterator(); it.hasNext() && deleted < max; ) {
                if (it.next().isBefore(cutoff)) {
                    it.remove();
                    deleted++;
                }
            }
            return deleted;
        }
    }

    /** Records what is asked of the daily partitions; drops report a fixed count. */
    private static final class Days implements SamplePartitionsPort {
        final List<String> calls = new ArrayList<>();

        @Override
        public int createDays(LocalDate from, LocalDate until) {
            calls.add("create " + from + ".." + until);
            return 0;
        }

        @Override
        public Dropped dropDaysBefore(Instant cutoff) {
            calls.add("drop before " + cutoff);
            return new Dropped(2, 40);
        }
    }

    @Test
    void daysAreCreatedAWeekAheadAndDaysPastRetentionDroppedWhole() {
        Days days = new Days();
        RetentionSettings policy = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 3,
                Duration.ofHours(1));

        PurgeExpiredDataUseCase.Purged purged = new RetentionService(new Tables(), days, policy,
                Clock.fixed(NOW, ZoneOffset.UTC)).purgeExpired();

        assertEquals(List.of("create 2026-11-29..2026-12-07", "drop before 2026-11-16T12:00:00Z"), days.calls);
        assertEquals(40, purged.samples(), "the samples of the dropped days count as purged");
    }

    @Test
    void eachKindHasItsOwnCutoffAndGoesInBatchesUntilAShortOne() {
        Tables tables = new Tables();
        List<Instant> samples = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            samples.add(NOW.minus(Duration.ofDays(15)));
        }
        samples.add(NOW.minus(Duration.ofDays(13)));
        tables.rows.put(PurgeExpiredDataPort.Kind.SAMPLES, samples);
        // Registration keys live 24 hours, whatever the settings.
        List<Instant> keys = new ArrayList<>(List.of(NOW.minus(Duration.ofHours(25)), NOW.minus(Duration.ofHours(23))));
        tables.rows.put(PurgeExpiredDataPort.Kind.REGISTRATION_KEYS, keys);
        RetentionSettings policy = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 3,
                Duration.ofHours(1));

        PurgeExpiredDataUseCase.Purged purged = new RetentionService(tables, new Days(), policy, Clock.fixed(NOW, ZoneOffset.UTC))
                .purgeExpired();

        assertEquals(new PurgeExpiredDataUseCase.Purged(7 + 40, 0, 0, 0, 1), purged);
        assertEquals(1, samples.size(), "the recent sample stays");
        assertEquals(List.of(NOW.minus(Duration.ofHours(23))), keys, "the key of the last 24 hours stays");
        assertEquals(List.of(
                "SAMPLES 2026-11-16T12:00:00Z 3", "SAMPLES 2026-11-16T12:00:00Z 3", "SAMPLES 2026-11-16T12:00:00Z 3",
                "SAMPLE_BATCHES 2026-11-28T12:00:00Z 3",
                "REFRESH_TOKENS 2026-11-23T12:00:00Z 3", "ENROLMENT_TOKENS 2026-11-23T12:00:00Z 3",
                "REGISTRATION_KEYS 2026-11-29T12:00:00Z 3",
                "OWN_VERSIONS keep 1000 3", "LAYER_VERSIONS keep 1000 3",
                "AUDIT_ENTRIES 2025-10-26T12:00:00Z 3", "ROLLOUTS 2025-10-26T12:00:00Z 10",
                "GROUPS 2025-10-26T12:00:00Z 10", "COLLECTORS 2025-10-26T12:00:00Z 10"), tables.calls);
    }

    @Test
    void versionsBeyondTheNumberKeptGoInBatchesAndZeroKeepsEveryVersionAndEveryAuditEntry() {
        Tables tables = new Tables();
        tables.surplus.put(PurgeExpiredDataPort.History.OWN_VERSIONS, 7);
        tables.surplus.put(PurgeExpiredDataPort.History.LAYER_VERSIONS, 2);
        List<Instant> audit = new ArrayList<>(List.of(NOW.minus(Duration.ofDays(31)), NOW.minus(Duration.ofDays(29))));
        tables.rows.put(PurgeExpiredDataPort.Kind.AUDIT_ENTRIES, audit);
        for (int i = 0; i < 12; i++) {
            tables.finishedRollouts.add(NOW.minus(Duration.ofDays(31)));
        }
        tables.finishedRollouts.add(NOW.minus(Duration.ofDays(29)));
        RetentionSettings policy = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 3,
                Duration.ofHours(1), 10, Duration.ofDays(30));

        PurgeExpiredDataUseCase.Purged purged = new RetentionService(tables, new Days(), policy, Clock.fixed(NOW, ZoneOffset.UTC))
                .purgeExpired();

        assertEquals(7 + 2, purged.versions());
        assertEquals(1, purged.auditEntries());
        assertEquals(List.of(NOW.minus(Duration.ofDays(29))), audit, "the entry of the last 30 days stays");
        assertEquals(12, purged.rollouts(), "finished rollouts are kept as long as the audit trail, 10 a delete");
        assertEquals(List.of(NOW.minus(Duration.ofDays(29))), tables.finishedRollouts);
        assertEquals(List.of("OWN_VERSIONS keep 10 3", "OWN_VERSIONS keep 10 3", "OWN_VERSIONS keep 10 3",
                "LAYER_VERSIONS keep 10 3"), tables.calls.stream().filter(c -> c.contains("VERSIONS")).toList());

        Tables untouched = new Tables();
        untouched.deletedGroups.add(NOW.minus(Duration.ofDays(3650)));
        untouched.decommissioned.add(NOW.minus(Duration.ofDays(3650)));
        new RetentionService(untouched, new Days(), new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2),
                Duration.ofDays(7), 3, Duration.ofHours(1), 0, Duration.ZERO), Clock.fixed(NOW, ZoneOffset.UTC)).purgeExpired();
        assertEquals(List.of(), untouched.calls.stream()
                .filter(c -> c.contains("VERSIONS") || c.contains("AUDIT") || c.contains("ROLLOUTS")
                        || c.contains("GROUPS") || c.contains("COLLECTORS")).toList(),
                "0 keeps every entry, and every deleted group and decommissioned collector with it");
        assertEquals(1, untouched.deletedGroups.size());
        assertThrows(IllegalArgumentException.class, () -> new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2),
                Duration.ofDays(7), 3, Duration.ofHours(1), 9, Duration.ZERO), "fewer than 10 versions leaves rollback no room");
    }

    @Test
    void agesCountFromTheEarlierOfTheServersAndTheDatabasesClock() {
        Tables tables = new Tables();
        List<Instant> audit = new ArrayList<>(List.of(NOW.minus(Duration.ofDays(31)), NOW.minus(Duration.ofDays(1))));
        tables.rows.put(PurgeExpiredDataPort.Kind.AUDIT_ENTRIES, audit);
        tables.finishedRollouts.add(NOW.minus(Duration.ofDays(1)));
        Days days = new Days();
        RetentionSettings policy = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 3,
                Duration.ofHours(1), 10, Duration.ofDays(30));
        // This server's clock jumped 800 days ahead; the database's did not.
        Clock ahead = Clock.fixed(NOW.plus(Duration.ofDays(800)), ZoneOffset.UTC);

        PurgeExpiredDataUseCase.Purged purged = new RetentionService(tables, days, policy, ahead).purgeExpired();

        assertEquals(1, purged.auditEntries());
        assertEquals(List.of(NOW.minus(Duration.ofDays(1))), audit, "yesterday's entry stays");
        assertEquals(0, purged.rollouts(), "a rollout that ended yesterday stays");
        assertEquals(List.of("AUDIT_ENTRIES 2026-10-31T12:00:00Z 3", "ROLLOUTS 2026-10-31T12:00:00Z 10"),
                tables.calls.stream().filter(c -> c.startsWith("AUDIT") || c.startsWith("ROLLOUTS")).toList());
        assertEquals("drop before 2026-11-16T12:00:00Z", days.calls.get(1));

        // And a database clock ahead of the server's is bounded the same way.
        Tables other = new Tables();
        other.databaseNow = NOW.plus(Duration.ofDays(800));
        new RetentionService(other, new Days(), policy, Clock.fixed(NOW, ZoneOffset.UTC)).purgeExpired();
        assertEquals(List.of("AUDIT_ENTRIES 2026-10-31T12:00:00Z 3", "ROLLOUTS 2026-10-31T12:00:00Z 10"),
                other.calls.stream().filter(c -> c.startsWith("AUDIT") || c.startsWith("ROLLOUTS")).toList());
    }

    @Test
    void oneRunStopsAfterItsBatchLimitAndLeavesTheRestForTheNext() {
        PurgeExpiredDataPort endless = new Tables() {
            @Override
            public int purge(Kind kind, Instant cutoff, int maxRows) {
                return kind == Kind.SAMPLES ? maxRows : 0;
            }
        };
        RetentionSettings policy = new RetentionSettings(Duration.ofDays(14), Duration.ofDays(2), Duration.ofDays(7), 10,
                Duration.ofHours(1));

        PurgeExpiredDataUseCase.Purged purged = new RetentionService(endless, new Days(), policy, Clock.fixed(NOW, ZoneOffset.UTC))
                .purgeExpired();

        assertEquals(10L * RetentionService.MAX_BATCHES_PER_RUN + 40, purged.samples());
    }
}
