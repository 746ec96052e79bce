package io.pgfleet.domain.rollout;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.common.Sha256;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Fixes every wave's members when a rollout starts.
 */
public final class WavePlan {

    private WavePlan() {
    }

    /**
     * The rollout order: by SHA-256 of the collector id, so it is the same on every server and in
     * every rollout, and unrelated to names (a fleet named db-001 … db-500 is not rolled out
     * alphabetically).
     */
    public static final Comparator<CollectorId> ORDER = Comparator.comparing((CollectorId id) -> Sha256.hex(id.value()))
            .thenComparing(CollectorId::value);

    /**
     * Plans the waves.
     *
     * <p>The members that are not stale are ordered by {@link #ORDER}. A selector wave takes the
     * members matching it that no earlier wave took; a percent wave takes, of the first
     * ceil(p × N / 100) in that order, those no earlier wave took. Stale members are listed as
     * skipped in the first selector wave they match, else in the last wave.
     *
     * @param waves      the waves
     * @param candidates the layer's members at the start
     * @return one planned wave per wave
     */
    public static List<PlannedWave> plan(List<WaveSpec> waves, List<Candidate> candidates) {
        List<Candidate> fresh = candidates.stream().filter(c -> !c.stale())
                .sorted(Comparator.comparing(Candidate::id, ORDER)).toList();
        List<Candidate> stale = candidates.stream().filter(Candidate::stale)
                .sorted(Comparator.comparing(Candidate::id, ORDER)).toList();
        Set<CollectorId> taken = new HashSet<>();
        Set<CollectorId> staleTaken = new HashSet<>();
        List<PlannedWave> out = new ArrayList<>();
        for (int i = 0; i < waves.size(); i++) {
            List<CollectorId> members = new ArrayList<>();
            List<CollectorId> skipped = new ArrayList<>();
            switch (waves.get(i)) {
                case WaveSpec.BySelector s -> {
                    for (Candidate c : fresh) {
                        if (s.selector().matches(c.labels()) && taken.add(c.id())) {
                            members.add(c.id());
                        }
                    }
                    for (Candidate c : stale) {
                        if (s.selector().matches(c.labels()) && staleTaken.add(c.id())) {
                            skipped.add(c.id());
                        }
                    }
                }
                case WaveSpec.ByPercent p -> {
                    int reach = p.reach(fresh.size());
                    for (Candidate c : fresh.subList(0, reach)) {
                        if (taken.add(c.id())) {
                            members.add(c.id());
                        }
                    }
                }
            }
            if (i == waves.size() - 1) {
                for (Candidate c : stale) {
                    if (staleTaken.add(c.id())) {
                        skipped.add(c.id());
                    }
                }
            }
            out.add(new PlannedWave(members, skipped));
        }
        return out;
    }
}
