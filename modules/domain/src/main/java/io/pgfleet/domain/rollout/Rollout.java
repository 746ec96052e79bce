package io.pgfleet.domain.rollout;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.layer.LayerId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A staged rollout of one version of the fleet layer or a group's layer, and its rules.
 *
 * <p>The waves start one after another. A wave passes when every member in it has reported for
 * the effective revision that contains the staged version, at most {@code maxFailed} of them
 * failed, at least one applied it, and {@code bakeSeconds} have passed since the last of those
 * reports; a member that has not reported {@code applyDeadlineSeconds} after its wave started
 * counts as failed. Members that left the layer (labels) or were decommissioned during their wave
 * are skipped. When more than {@code maxFailed} fail, or no member applied by the deadline, the
 * rollout rolls back. After the last wave it completes.
 *
 * @param id              the rollout
 * @param layer           the fleet or a group's layer
 * @param stagedVersion   the layer version being rolled out
 * @param previousVersion the layer's current version when the rollout started, if it had one
 * @param policy          the waves and how they are judged
 * @param waves           each wave's members, fixed at the start
 * @param state           where it stands
 * @param startedWaves    how many waves have started (1 or more)
 * @param waveStartedAt   when the latest wave started (or the rollout resumed): its deadline and bake count from it
 * @param waveBeganAt     when the latest wave started, whatever pauses and resumes came after: a
 *                        member whose effective revision is older than that was not changed by the
 *                        staged version (see {@link MemberObservation.Present#revisionSince})
 * @param results         the counts of every wave that ended (passed or failed), in order
 * @param createdAt       when it started
 * @param createdBy       who started it
 * @param message         the change message
 * @param ending          how it ended, once completed or rolled back
 */
public record Rollout(RolloutId id, LayerId layer, ConfigVersion stagedVersion, Optional<ConfigVersion> previousVersion,
                      RolloutPolicy policy, List<PlannedWave> waves, RolloutState state, int startedWaves,
                      Instant waveStartedAt, Instant waveBeganAt, List<WaveCounts> results, Instant createdAt, String createdBy,
                      String message, Optional<Ending> ending) {

    /** Requires consistent parts: a plan per wave, started waves within the plan, an ending exactly when finished. */
    public Rollout {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(stagedVersion, "stagedVersion");
        Objects.requireNonNull(previousVersion, "previousVersion");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(waveStartedAt, "waveStartedAt");
        Objects.requireNonNull(waveBeganAt, "waveBeganAt");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(createdBy, "createdBy");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(ending, "ending");
        waves = List.copyOf(waves);
        results = List.copyOf(results);
        if (layer instanceof LayerId.Own) {
            throw new IllegalArgumentException("a collector's own layer is not rolled out");
        }
        if (waves.size() != policy.waves().size()) {
            throw new IllegalArgumentException("a rollout plans every wave of its policy");
        }
        if (startedWaves < 1 || startedWaves > waves.size()) {
            throw new IllegalArgumentException("started waves is 1 to " + waves.size());
        }
        if (results.size() > startedWaves) {
            throw new IllegalArgumentException("only started waves have results");
        }
        if (state.active() == ending.isPresent()) {
            throw new IllegalArgumentException("a rollout has an ending exactly when it is completed or rolled back");
        }
    }

    /**
     * A rollout that starts now: its first wave receives the staged version at once.
     *
     * @param id       the id the store assigned
     * @param layer    the layer
     * @param staged   the staged version
     * @param previous the layer's current version, if any
     * @param policy   the waves and rules
     * @param plan     the members of each wave
     * @param now      the start
     * @param by       who starts it
     * @param message  the change message
     * @return the rollout and its first timeline entries
     */
    public static Step.StartWave start(RolloutId id, LayerId layer, ConfigVersion staged, Optional<ConfigVersion> previous,
                                       RolloutPolicy policy, List<PlannedWave> plan, Instant now, String by, String message) {
        Rollout r = new Rollout(id, layer, staged, previous, policy, plan, RolloutState.RUNNING, 1, now, now, List.of(), now,
                by, message, Optional.empty());
        int skipped = plan.stream().mapToInt(w -> w.skipped().size()).sum();
        return new Step.StartWave(r, List.of(
                new TimelineEvent(now, "started", "rollout of " + layer.source(staged.value()) + " started by " + by
                        + " in " + plan.size() + (plan.size() == 1 ? " wave" : " waves") + " over "
                        + members(plan.stream().mapToInt(w -> w.members().size()).sum())
                        + (skipped > 0 ? ", " + skipped + (skipped == 1 ? " stale or never-seen member" : " stale or never-seen members")
                        + " skipped" : "")),
                r.waveStarted(now)));
    }

    private TimelineEvent waveStarted(Instant now) {
        return new TimelineEvent(now, "wave_started", "wave " + startedWaves + " of " + waves.size() + " started with "
                + members(waves.get(startedWaves - 1).members().size()));
    }

    /** A count of members as the timeline and reasons say it: "1 member", "3 members". */
    private static String members(int count) {
        return count + (count == 1 ? " member" : " members");
    }

    /**
     * Every member that has received the staged version: the members of the started waves.
     *
     * @return the members, in wave order
     */
    public Set<CollectorId> receivers() {
        Set<CollectorId> out = new LinkedHashSet<>();
        for (int i = 0; i < startedWaves; i++) {
            out.addAll(waves.get(i).members());
        }
        return out;
    }

    /**
     * The members of the latest started wave.
     *
     * @return the members
     */
    public List<CollectorId> currentWave() {
        return waves.get(startedWaves - 1).members();
    }

    /**
     * How a wave's members stand now.
     *
     * @param wave         0-based index
     * @param observations what is known of the current wave's members (missing = decommissioned)
     * @param now          the time
     * @return the counts: a finished wave's as recorded, the current wave's live, a later wave's all pending
     */
    public WaveCounts counts(int wave, Map<CollectorId, MemberObservation> observations, Instant now) {
        if (wave < results.size()) {
            return results.get(wave);
        }
        PlannedWave w = waves.get(wave);
        if (wave == startedWaves - 1 && state.active()) {
            return judge(observations, now).counts(w.skipped().size());
        }
        return new WaveCounts(0, 0, w.members().size(), w.skipped().size());
    }

    /**
     * The judgement of the current wave at one moment. Members that left the layer ({@code left})
     * and decommissioned ones ({@code gone}) are not waited for and count as skipped.
     */
    private record Judgement(int applied, int failed, int pending, int gone, List<CollectorId> left,
                             List<CollectorId> unchanged, List<MemberFailure> failures, Instant settledAt) {
        WaveCounts counts(int skipped) {
            return new WaveCounts(applied, failed, pending, skipped + gone + left.size() + unchanged.size());
        }
    }

    /** How many ids a timeline entry or reason names before it says "…". */
    private static final int NAMED = 10;

    private static String named(List<CollectorId> ids) {
        return String.join(", ", ids.stream().limit(NAMED).map(CollectorId::value).toList())
                + (ids.size() > NAMED ? ", …" : "");
    }

    private Instant deadline() {
        return waveStartedAt.plusSeconds(policy.applyDeadlineSeconds());
    }

    private Judgement judge(Map<CollectorId, MemberObservation> observations, Instant now) {
        int applied = 0, failed = 0, pending = 0, gone = 0;
        List<CollectorId> left = new ArrayList<>();
        List<CollectorId> unchanged = new ArrayList<>();
        List<MemberFailure> failures = new ArrayList<>();
        Instant settled = waveStartedAt;
        Instant deadline = deadline();
        String staged = stagedSource();
        for (CollectorId id : currentWave()) {
            switch (observations.getOrDefault(id, new MemberObservation.Gone())) {
                case MemberObservation.Gone g -> gone++;
                // Its labels took it out of the layer: what it runs now says nothing of the staged
                // version, so its reports do not count; like a decommissioned member it is not waited for.
                case MemberObservation.Present p when !p.contains(staged) -> left.add(id);
                // The staged version did not change what it runs (the same effective revision, the
                // same hash, as before its wave began): it was asked to run nothing new, and whatever
                // its agent reported of that revision (a failure before the rollout, say) says nothing
                // of the staged version. Like a member that left, it is not waited for nor judged.
                case MemberObservation.Present p when p.revisionSince().isBefore(waveBeganAt) -> unchanged.add(id);
                case MemberObservation.Present p -> {
                    Optional<MemberObservation.LastReport> m = p.matching();
                    if (m.isPresent()) {
                        if (m.get().at().isAfter(settled)) {
                            settled = m.get().at();
                        }
                        if (m.get().status() == ApplyStatus.APPLIED) {
                            applied++;
                        } else {
                            failed++;
                            failures.add(new MemberFailure(id, m.get().error()));
                        }
                    } else if (!now.isBefore(deadline)) {
                        failed++;
                        failures.add(new MemberFailure(id, "no apply report for effective revision "
                                + p.expectedRevision() + " within " + policy.applyDeadlineSeconds() + " s"));
                        if (deadline.isAfter(settled)) {
                            settled = deadline;
                        }
                    } else {
                        pending++;
                    }
                }
            }
        }
        return new Judgement(applied, failed, pending, gone, List.copyOf(left), List.copyOf(unchanged), failures,
                settled);
    }

    /** The staged version as an effective revision's sources name it, e.g. {@code group/prod@7}. */
    private String stagedSource() {
        return layer.source(stagedVersion.value());
    }

    /**
     * Judges the current wave and decides what happens next. Only a running rollout moves.
     *
     * @param now          the time
     * @param observations what is known of the current wave's members (missing = decommissioned)
     * @return wait, start the next wave, complete or roll back
     */
    public Step evaluate(Instant now, Map<CollectorId, MemberObservation> observations) {
        if (state != RolloutState.RUNNING) {
            return new Step.Wait(Optional.empty());
        }
        Judgement j = judge(observations, now);
        int wave = startedWaves;
        WaveCounts counts = j.counts(waves.get(wave - 1).skipped().size());
        if (j.failed() > policy.maxFailed()) {
            String reason = "wave " + wave + " of " + waves.size() + " failed: " + j.failed() + " of "
                    + members(j.applied() + j.failed() + j.pending()) + " failed (max_failed " + policy.maxFailed() + ")";
            return rollBack(now, reason, j.failures(), Optional.of(counts));
        }
        if (j.pending() > 0) {
            return new Step.Wait(Optional.of(deadline()));
        }
        if (j.applied() == 0 && !currentWave().isEmpty()) {
            // A wave that had members passes only once one of them runs the staged version: else it
            // tested nothing, and the next waves would follow blind. Members may still come back
            // (labels restored) until the deadline; then it fails like a silent member.
            if (now.isBefore(deadline())) {
                return new Step.Wait(Optional.of(deadline()));
            }
            List<String> why = new ArrayList<>();
            if (!j.left().isEmpty()) {
                why.add(j.left().size() + " left " + layer.label());
            }
            if (!j.unchanged().isEmpty()) {
                why.add(j.unchanged().size() + " unchanged by " + stagedSource());
            }
            if (j.gone() > 0) {
                why.add(j.gone() + " decommissioned");
            }
            if (j.failed() > 0) {
                why.add(j.failed() + " failed");
            }
            List<MemberFailure> failures = new ArrayList<>(j.failures());
            j.left().forEach(id -> failures.add(new MemberFailure(id, "left " + layer.label()
                    + " during its wave: its effective configuration no longer contains " + stagedSource())));
            String reason = "wave " + wave + " of " + waves.size() + " failed: none of its "
                    + members(currentWave().size()) + " applied " + stagedSource() + " within "
                    + policy.applyDeadlineSeconds() + " s (" + String.join(", ", why) + ")";
            return rollBack(now, reason, failures, Optional.of(counts));
        }
        Instant baked = j.settledAt().plusSeconds(policy.bakeSeconds());
        boolean empty = j.applied() + j.failed() == 0;
        if (!empty && now.isBefore(baked)) {
            return new Step.Wait(Optional.of(baked));
        }
        List<WaveCounts> done = new ArrayList<>(results);
        done.add(counts);
        TimelineEvent passed = new TimelineEvent(now, "wave_passed", "wave " + wave + " of " + waves.size() + " passed: "
                + j.applied() + " applied, " + j.failed() + " failed, " + counts.skipped() + " skipped"
                + (j.left().isEmpty() ? "" : " (left " + layer.label() + " during the wave, not judged: "
                + named(j.left()) + ")")
                + (j.unchanged().isEmpty() ? "" : " (unchanged by " + stagedSource() + ", not judged: "
                + named(j.unchanged()) + ")"));
        if (wave == waves.size()) {
            String reason = "all " + waves.size() + (waves.size() == 1 ? " wave" : " waves") + " passed";
            Rollout r = with(RolloutState.COMPLETED, startedWaves, waveStartedAt, done,
                    Optional.of(new Ending(now, reason, List.of())));
            return new Step.Complete(r, List.of(passed, new TimelineEvent(now, "completed",
                    layer.source(stagedVersion.value()) + " is the current version of " + layer.label() + ": " + reason)));
        }
        Rollout r = with(RolloutState.RUNNING, wave + 1, now, done, Optional.empty());
        return new Step.StartWave(r, List.of(passed, r.waveStarted(now)));
    }

    private Rollout with(RolloutState s, int started, Instant waveStart, List<WaveCounts> res, Optional<Ending> end) {
        // A new wave begins when the count of started waves moves; a resume moves only the start of its clock.
        Instant began = started != startedWaves ? waveStart : waveBeganAt;
        return new Rollout(id, layer, stagedVersion, previousVersion, policy, waves, s, started, waveStart, began, res, createdAt,
                createdBy, message, end);
    }

    /**
     * Rolls back for a reason found outside the wave's reports (a wave that would make members'
     * configurations invalid).
     *
     * @param now      when
     * @param reason   why
     * @param failures the members concerned
     * @return the rollback, or a refusal unless running or paused
     */
    public Step rollBack(Instant now, String reason, List<MemberFailure> failures) {
        if (!state.active()) {
            return refused("rolled back");
        }
        return rollBack(now, reason, failures, Optional.empty());
    }

    private Step.RollBack rollBack(Instant now, String reason, List<MemberFailure> failures, Optional<WaveCounts> counts) {
        List<WaveCounts> done = new ArrayList<>(results);
        counts.ifPresent(done::add);
        Rollout r = with(RolloutState.ROLLED_BACK, startedWaves, waveStartedAt, done,
                Optional.of(new Ending(now, reason, failures)));
        String to = previousVersion.map(v -> "version " + v.value() + " of " + layer.label() + " published again")
                .orElse(layer.label() + " emptied again (it had no version before)");
        return new Step.RollBack(r, List.of(new TimelineEvent(now, "rolled_back", reason + "; " + to
                + (failures.isEmpty() ? "" : "; failing: " + failures.stream().limit(5)
                .map(f -> f.collectorId() + " (" + f.error() + ")").reduce((a, b) -> a + ", " + b).orElse("")
                + (failures.size() > 5 ? " …" : "")))));
    }

    private Step.Refused refused(String command) {
        return new Step.Refused("rollout " + id + " is " + state.label() + "; it cannot be " + command);
    }

    /**
     * Stops the progression: no wave starts or is judged until it resumes.
     *
     * @param now when
     * @param by  who
     * @return the change, or a refusal unless running
     */
    public Step pause(Instant now, String by) {
        if (state != RolloutState.RUNNING) {
            return refused("paused");
        }
        return new Step.Changed(with(RolloutState.PAUSED, startedWaves, waveStartedAt, results, Optional.empty()),
                List.of(new TimelineEvent(now, "paused", "paused by " + by + " in wave " + startedWaves)));
    }

    /**
     * The driver's pause: the next step cannot be taken (the next wave, or the completion, would
     * make members' effective documents invalid because their own layers changed during the
     * rollout). Rolling back would take the version from every member that runs it well because of
     * one host's own document; held, the rollout waits until the operator fixes those documents and
     * resumes, or aborts.
     *
     * @param now    when
     * @param reason what cannot be done and why, naming the members
     * @return the change, or a refusal unless running
     */
    public Step hold(Instant now, String reason) {
        if (state != RolloutState.RUNNING) {
            return refused("paused");
        }
        return new Step.Changed(with(RolloutState.PAUSED, startedWaves, waveStartedAt, results, Optional.empty()),
                List.of(new TimelineEvent(now, "paused", "paused in wave " + startedWaves + ": " + reason)));
    }

    /**
     * Resumes the progression; the current wave's deadline and bake count from now.
     *
     * @param now when
     * @param by  who
     * @return the change, or a refusal unless paused
     */
    public Step resume(Instant now, String by) {
        if (state != RolloutState.PAUSED) {
            return refused("resumed");
        }
        return new Step.Changed(with(RolloutState.RUNNING, startedWaves, now, results, Optional.empty()),
                List.of(new TimelineEvent(now, "resumed", "resumed by " + by + " in wave " + startedWaves)));
    }

    /**
     * Skips the remaining waves: the staged version becomes current for every member now.
     *
     * @param now          when
     * @param by           who
     * @param observations the current wave's members, for its counts
     * @return completion, or a refusal unless running or paused
     */
    public Step promote(Instant now, String by, Map<CollectorId, MemberObservation> observations) {
        if (!state.active()) {
            return refused("promoted");
        }
        List<WaveCounts> done = new ArrayList<>(results);
        done.add(judge(observations, now).counts(waves.get(startedWaves - 1).skipped().size()));
        String reason = "promoted by " + by + " in wave " + startedWaves + " of " + waves.size();
        Rollout r = with(RolloutState.COMPLETED, startedWaves, waveStartedAt, done,
                Optional.of(new Ending(now, reason, List.of())));
        return new Step.Complete(r, List.of(new TimelineEvent(now, "completed", layer.source(stagedVersion.value())
                + " is the current version of " + layer.label() + ": " + reason)));
    }

    /**
     * Rolls back now, as a failed wave would.
     *
     * @param now          when
     * @param by           who
     * @param observations the current wave's members, for its counts
     * @return the rollback, or a refusal unless running or paused
     */
    public Step abort(Instant now, String by, Map<CollectorId, MemberObservation> observations) {
        if (!state.active()) {
            return refused("aborted");
        }
        Judgement j = judge(observations, now);
        return rollBack(now, "aborted by " + by + " in wave " + startedWaves + " of " + waves.size(), j.failures(),
                Optional.of(j.counts(waves.get(startedWaves - 1).skipped().size())));
    }
}
