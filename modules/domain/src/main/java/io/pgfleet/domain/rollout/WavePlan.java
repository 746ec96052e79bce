package io.pgfleet.domain.rollout;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.common.Sha256;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
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

    /**
     * The first wave that would pass without testing anything, which a rollout must not start with.
     *
     * <p>A wave that has no member that is not stale passes at once, without baking, since nobody
     * in it can report. That is right for a later percent wave whose hosts an earlier wave took:
     * the version was tested, and baked, on those. It is not for the first wave — nothing was
     * tested before it, so the rollout would pass every wave at once and ship the version untested
     * to every member on completion — nor for a selector wave, which names hosts to test on (a
     * typo would skip its test).
     *
     * @param waves the waves
     * @param plan  their planned members, as {@link #plan} made them
     * @return the first such wave, or empty when every wave is allowed
     */
    public static Optional<UntestedWave> untested(List<WaveSpec> waves, List<PlannedWave> plan) {
        if (waves.size() != plan.size()) {
            throw new IllegalArgumentException("one planned wave per wave");
        }
        for (int i = 0; i < plan.size(); i++) {
            if (!plan.get(i).members().isEmpty()) {
                continue;
            }
            if (waves.get(i) instanceof WaveSpec.BySelector) {
                return Optional.of(new UntestedWave(i + 1, plan.get(i).skipped()));
            }
            if (i == 0) {
                // A percent wave reaches at least one member when there is one, so the whole layer
                // has none that is not stale: every stale member is why.
                return Optional.of(new UntestedWave(1, plan.stream().flatMap(w -> w.skipped().stream())
                        .sorted(ORDER).toList()));
            }
        }
        return Optional.empty();
    }

    /**
     * A wave that would pass without testing anything.
     *
     * @param wave  the wave, 1-based
     * @param stale the stale members it would have had (for a percent wave, every stale member of
     *              the layer), in rollout order; empty when it has none at all
     */
    public record UntestedWave(int wave, List<CollectorId> stale) {
        /** Requires a 1-based wave; copies the members. */
        public UntestedWave {
            if (wave < 1) {
                throw new IllegalArgumentException("waves count from 1");
            }
            stale = List.copyOf(stale);
        }
    }
}
