package io.pgfleet.domain.rollout;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rollout's rules, with time the test controls. */
class RolloutTest {

    private static final Instant T0 = Instant.parse("2026-11-30T10:00:00Z");
    private static final String SHA = "a".repeat(64);
    private static final String OLD_SHA = "b".repeat(64);
    /**
     * When the observed revisions appeared: after every wave of these tests began, so the wave
     * changed them (a member the staged version leaves unchanged has an older one).
     */
    private static final Instant FRESH = T0.plus(java.time.Duration.ofDays(30));
    /** The sources of an effective revision containing the staged version (the fleet layer's version 4). */
    private static final List<String> RUNS_STAGED = List.of("fleet@4", "collector@1");

    private static CollectorId id(String s) {
        return CollectorId.of(s);
    }

    private static List<Candidate> fleet(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> new Candidate(id("db-" + i), Map.of(), false)).toList();
    }

    private static Rollout start(RolloutPolicy policy, List<Candidate> candidates) {
        return Rollout.start(new RolloutId(7), new LayerId.Fleet(), new ConfigVersion(4), Optional.of(new ConfigVersion(3)),
                policy, WavePlan.plan(policy.waves(), candidates), T0, "alice", "").next();
    }

    /** Every member of the current wave is at revision 2 and has reported nothing yet. */
    private static Map<CollectorId, MemberObservation> silent(Rollout r) {
        Map<CollectorId, MemberObservation> m = new HashMap<>();
        r.currentWave().forEach(c -> m.put(c, new MemberObservation.Present(2, SHA, RUNS_STAGED, Optional.empty(), FRESH)));
        return m;
    }

    private static MemberObservation applied(Instant at) {
        return new MemberObservation.Present(2, SHA, RUNS_STAGED,
                Optional.of(new MemberObservation.LastReport(2, ApplyStatus.APPLIED, "", SHA, at)), FRESH);
    }

    private static MemberObservation failed(Instant at, String error) {
        return new MemberObservation.Present(2, SHA, RUNS_STAGED,
                Optional.of(new MemberObservation.LastReport(2, ApplyStatus.FAILED, error, OLD_SHA, at)), FRESH);
    }

    private static Map<CollectorId, MemberObservation> all(Rollout r, MemberObservation o) {
        Map<CollectorId, MemberObservation> m = new HashMap<>();
        r.currentWave().forEach(c -> m.put(c, o));
        return m;
    }

    @Test
    void percentWavesAreCumulativeOverAStableHashOrder() {
        List<WaveSpec> waves = List.of(new WaveSpec.ByPercent(25), new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100));
        List<PlannedWave> plan = WavePlan.plan(waves, fleet(4));
        assertEquals(List.of(1, 1, 2), plan.stream().map(w -> w.members().size()).toList(), "25 % of 4 is exactly one");
        List<PlannedWave> again = WavePlan.plan(waves, new ArrayList<>(fleet(4)).reversed());
        assertEquals(plan, again, "the order does not depend on the order members are listed in");
        List<CollectorId> order = plan.stream().flatMap(w -> w.members().stream()).toList();
        assertEquals(order.stream().sorted(WavePlan.ORDER).toList(), order);
        assertEquals(4, new HashSet<>(order).size());
        // ceil: 10 % of 5 members is one member, not zero.
        assertEquals(1, WavePlan.plan(List.of(new WaveSpec.ByPercent(10), new WaveSpec.ByPercent(100)), fleet(5))
                .get(0).members().size());
    }

    @Test
    void aSelectorWaveTakesItsMatchesAndLaterPercentWavesDoNotTakeThemAgain() {
        List<Candidate> c = new ArrayList<>(fleet(9));
        c.add(new Candidate(id("canary-1"), Map.of("canary", "true"), false));
        c.add(new Candidate(id("canary-2"), Map.of("canary", "true"), true));
        c.add(new Candidate(id("old-1"), Map.of(), true));
        List<PlannedWave> plan = WavePlan.plan(List.of(new WaveSpec.BySelector(new LabelSelector(Map.of("canary", "true"))),
                new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100)), c);
        assertEquals(List.of(id("canary-1")), plan.get(0).members());
        assertEquals(List.of(id("canary-2")), plan.get(0).skipped(), "a stale canary is skipped in its wave");
        assertEquals(List.of(id("old-1")), plan.get(2).skipped(), "other stale members are skipped in the last wave");
        assertEquals(10, plan.stream().mapToInt(w -> w.members().size()).sum(), "every fresh member exactly once");
        assertTrue(plan.get(1).members().size() <= 5);
    }

    @Test
    void policiesThatCannotReachEveryMemberAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WaveSpec.ByPercent(0));
        assertThrows(IllegalArgumentException.class, () -> new WaveSpec.ByPercent(101));
        assertThrows(IllegalArgumentException.class, () -> new WaveSpec.BySelector(new LabelSelector(Map.of())));
        assertThrows(IllegalArgumentException.class, () -> new RolloutPolicy(List.of(), 0, 0, 60));
        assertThrows(IllegalArgumentException.class,
                () -> new RolloutPolicy(List.of(new WaveSpec.ByPercent(50)), 0, 0, 60), "must end at 100 %");
        assertThrows(IllegalArgumentException.class, () -> new RolloutPolicy(
                List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100)), 0, 0, 60));
        assertThrows(IllegalArgumentException.class, () -> new RolloutPolicy(
                IntStream.rangeClosed(1, 21).mapToObj(i -> (WaveSpec) new WaveSpec.ByPercent(i == 21 ? 100 : i)).toList(),
                0, 0, 60));
        assertThrows(IllegalArgumentException.class, () -> new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), -1, 0, 60));
        assertThrows(IllegalArgumentException.class, () -> new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, -1, 60));
        assertThrows(IllegalArgumentException.class, () -> new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 0));
    }

    @Test
    void aWavePassesOnceEveryMemberAppliedAndTheBakeIsOverThenTheLastCompletes() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(25), new WaveSpec.ByPercent(100)), 30, 0, 120),
                fleet(4));
        assertEquals(1, r.receivers().size());
        assertEquals(new Step.Wait(Optional.of(T0.plusSeconds(120))), r.evaluate(T0.plusSeconds(5), silent(r)));
        Map<CollectorId, MemberObservation> ok = all(r, applied(T0.plusSeconds(10)));
        assertEquals(new Step.Wait(Optional.of(T0.plusSeconds(40))), r.evaluate(T0.plusSeconds(39), ok), "still baking");
        Step.StartWave next = assertInstanceOf(Step.StartWave.class, r.evaluate(T0.plusSeconds(40), ok));
        Rollout r2 = next.next();
        assertEquals(2, r2.startedWaves());
        assertEquals(4, r2.receivers().size());
        assertEquals(new WaveCounts(1, 0, 0, 0), r2.counts(0, Map.of(), T0.plusSeconds(40)));
        assertEquals(new WaveCounts(0, 0, 3, 0), r2.counts(1, silent(r2), T0.plusSeconds(41)));
        Step.Complete done = assertInstanceOf(Step.Complete.class,
                r2.evaluate(T0.plusSeconds(100), all(r2, applied(T0.plusSeconds(60)))));
        assertEquals(RolloutState.COMPLETED, done.next().state());
        assertEquals("all 2 waves passed", done.next().ending().orElseThrow().reason());
    }

    @Test
    void aFailedCanaryRollsBackAtOnceWithItsError() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100)), 30, 0, 120),
                fleet(4));
        Map<CollectorId, MemberObservation> obs = silent(r);
        CollectorId bad = r.currentWave().get(0);
        obs.put(bad, failed(T0.plusSeconds(3), "password file missing"));
        Step.RollBack back = assertInstanceOf(Step.RollBack.class, r.evaluate(T0.plusSeconds(4), obs),
                "one failure over max_failed 0 rolls back without waiting for the others");
        Ending end = back.next().ending().orElseThrow();
        assertEquals(RolloutState.ROLLED_BACK, back.next().state());
        assertEquals(List.of(new MemberFailure(bad, "password file missing")), end.failures());
        assertTrue(end.reason().startsWith("wave 1 of 2 failed: 1 of 2 members failed"), end.reason());
        assertEquals(new WaveCounts(0, 1, 1, 0), back.next().counts(0, Map.of(), T0));
    }

    @Test
    void aRolloutOfOneMemberSaysMemberNotMembers() {
        RolloutPolicy policy = new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 30, 0, 120);
        Step.StartWave started = Rollout.start(new RolloutId(7), new LayerId.Fleet(), new ConfigVersion(4),
                Optional.of(new ConfigVersion(3)), policy, WavePlan.plan(policy.waves(), fleet(1)), T0, "alice", "");
        assertEquals(List.of("rollout of fleet@4 started by alice in 1 wave over 1 member",
                        "wave 1 of 1 started with 1 member"),
                started.events().stream().map(TimelineEvent::detail).toList());
        Rollout r = started.next();
        Step.RollBack back = assertInstanceOf(Step.RollBack.class,
                r.evaluate(T0.plusSeconds(4), all(r, failed(T0.plusSeconds(3), "disk full"))));
        String reason = back.next().ending().orElseThrow().reason();
        assertTrue(reason.startsWith("wave 1 of 1 failed: 1 of 1 member failed"), reason);
    }

    @Test
    void maxFailedToleratesThatManyFailures() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 1, 120), fleet(3));
        Map<CollectorId, MemberObservation> obs = all(r, applied(T0.plusSeconds(1)));
        obs.put(r.currentWave().get(0), failed(T0.plusSeconds(2), "boom"));
        assertInstanceOf(Step.Complete.class, r.evaluate(T0.plusSeconds(3), obs));
        obs.put(r.currentWave().get(1), failed(T0.plusSeconds(2), "boom"));
        assertInstanceOf(Step.RollBack.class, r.evaluate(T0.plusSeconds(3), obs));
    }

    @Test
    void aSilentMemberFailsAtTheDeadline() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(2));
        Map<CollectorId, MemberObservation> obs = silent(r);
        obs.put(r.currentWave().get(0), applied(T0.plusSeconds(1)));
        assertInstanceOf(Step.Wait.class, r.evaluate(T0.plusSeconds(59), obs));
        Step.RollBack back = assertInstanceOf(Step.RollBack.class, r.evaluate(T0.plusSeconds(60), obs));
        assertEquals("no apply report for effective revision 2 within 60 s",
                back.next().ending().orElseThrow().failures().get(0).error());
    }

    @Test
    void aReportForAnotherRevisionOrHashDoesNotCount() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(1));
        MemberObservation older = new MemberObservation.Present(2, SHA, RUNS_STAGED,
                Optional.of(new MemberObservation.LastReport(1, ApplyStatus.APPLIED, "", OLD_SHA, T0.plusSeconds(1))), FRESH);
        MemberObservation otherHash = new MemberObservation.Present(2, SHA, RUNS_STAGED,
                Optional.of(new MemberObservation.LastReport(2, ApplyStatus.APPLIED, "", OLD_SHA, T0.plusSeconds(1))), FRESH);
        assertInstanceOf(Step.Wait.class, r.evaluate(T0.plusSeconds(2), all(r, older)));
        assertInstanceOf(Step.Wait.class, r.evaluate(T0.plusSeconds(2), all(r, otherHash)));
    }

    @Test
    void decommissionedMembersAreSkippedNotWaitedFor() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(2));
        Map<CollectorId, MemberObservation> obs = new HashMap<>();
        obs.put(r.currentWave().get(0), applied(T0.plusSeconds(1)));
        Step.Complete done = assertInstanceOf(Step.Complete.class, r.evaluate(T0.plusSeconds(2), obs));
        assertEquals(new WaveCounts(1, 0, 0, 1), done.next().results().get(0));
    }

    /** A member whose labels took it out of the layer: its new revision (3) lacks the staged version, and it applied that. */
    private static MemberObservation leftAndApplied(Instant at) {
        return new MemberObservation.Present(3, OLD_SHA, List.of("collector@1"),
                Optional.of(new MemberObservation.LastReport(3, ApplyStatus.APPLIED, "", OLD_SHA, at)), FRESH);
    }

    @Test
    void refusesToCountAReportForARevisionWithoutTheStagedVersionAsApplied() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100)), 0, 0, 60),
                fleet(2));
        Map<CollectorId, MemberObservation> obs = all(r, leftAndApplied(T0.plusSeconds(1)));

        assertInstanceOf(Step.Wait.class, r.evaluate(T0.plusSeconds(2), obs), "a wave that tested nothing does not pass");
        assertEquals(new WaveCounts(0, 0, 0, 1), r.counts(0, obs, T0.plusSeconds(2)), "the member that left is skipped");
        Step.RollBack back = assertInstanceOf(Step.RollBack.class, r.evaluate(T0.plusSeconds(60), obs));
        Ending ending = back.next().ending().orElseThrow();
        assertEquals("wave 1 of 2 failed: none of its 1 member applied fleet@4 within 60 s (1 left fleet)",
                ending.reason());
        assertEquals(r.currentWave(), ending.failures().stream().map(MemberFailure::collectorId).toList());
    }

    @Test
    void aMemberThatLeftTheLayerIsSkippedAndNamedWhenOthersOfItsWaveApplied() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(2));
        Map<CollectorId, MemberObservation> obs = all(r, applied(T0.plusSeconds(1)));
        CollectorId leaver = r.currentWave().get(1);
        obs.put(leaver, leftAndApplied(T0.plusSeconds(1)));

        Step.Complete done = assertInstanceOf(Step.Complete.class, r.evaluate(T0.plusSeconds(2), obs));
        assertEquals(new WaveCounts(1, 0, 0, 1), done.next().results().get(0));
        String passed = done.events().get(0).detail();
        assertTrue(passed.endsWith("1 skipped (left fleet during the wave, not judged: " + leaver.value() + ")"), passed);
    }

    @Test
    void refusesToPassAWaveWhoseEveryMemberWasDecommissioned() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100)), 0, 0, 60),
                fleet(2));
        assertInstanceOf(Step.Wait.class, r.evaluate(T0.plusSeconds(2), Map.of()));
        Step.RollBack back = assertInstanceOf(Step.RollBack.class, r.evaluate(T0.plusSeconds(60), Map.of()));
        assertTrue(back.next().ending().orElseThrow().reason().endsWith("(1 decommissioned)"));
    }

    @Test
    void pausedRolloutsDoNotMoveAndResumeRestartsTheDeadline() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(1));
        Rollout paused = assertInstanceOf(Step.Changed.class, r.pause(T0.plusSeconds(1), "bob")).next();
        assertEquals(RolloutState.PAUSED, paused.state());
        assertEquals(new Step.Wait(Optional.empty()), paused.evaluate(T0.plusSeconds(500), silent(paused)));
        assertInstanceOf(Step.Refused.class, paused.pause(T0.plusSeconds(2), "bob"));
        Rollout resumed = assertInstanceOf(Step.Changed.class, paused.resume(T0.plusSeconds(600), "bob")).next();
        assertInstanceOf(Step.Wait.class, resumed.evaluate(T0.plusSeconds(601), silent(resumed)),
                "the deadline counts from the resume");
        assertInstanceOf(Step.Refused.class, resumed.resume(T0.plusSeconds(602), "bob"));
        assertInstanceOf(Step.RollBack.class, resumed.evaluate(T0.plusSeconds(660), silent(resumed)));
    }

    @Test
    void aHeldRolloutIsPausedInItsWaveWithTheReasonAndKeepsWhatItReached() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100)), 0, 0, 60),
                fleet(4));
        Step.Changed held = assertInstanceOf(Step.Changed.class, r.hold(T0.plusSeconds(5), "wave 2 would make it invalid"));
        assertEquals(RolloutState.PAUSED, held.next().state());
        assertEquals(1, held.next().startedWaves(), "no wave started");
        assertEquals(r.receivers(), held.next().receivers(), "the members that received the version keep it");
        assertEquals(List.of("paused"), held.events().stream().map(TimelineEvent::kind).toList());
        assertEquals("paused in wave 1: wave 2 would make it invalid", held.events().get(0).detail());
        assertEquals(new Step.Wait(Optional.empty()), held.next().evaluate(T0.plusSeconds(500), silent(held.next())),
                "nothing moves until an operator resumes");
        assertInstanceOf(Step.Refused.class, held.next().hold(T0.plusSeconds(6), "again"));
        assertInstanceOf(Step.Changed.class, held.next().resume(T0.plusSeconds(7), "bob"));
    }

    @Test
    void promoteCompletesAbortRollsBackAndAFinishedRolloutRefusesEverything() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(10), new WaveSpec.ByPercent(100)), 0, 0, 60),
                fleet(10));
        Rollout promoted = assertInstanceOf(Step.Complete.class, r.promote(T0.plusSeconds(1), "bob", silent(r))).next();
        assertEquals("promoted by bob in wave 1 of 2", promoted.ending().orElseThrow().reason());
        Rollout aborted = assertInstanceOf(Step.RollBack.class, r.abort(T0.plusSeconds(1), "bob", silent(r))).next();
        assertEquals("aborted by bob in wave 1 of 2", aborted.ending().orElseThrow().reason());
        for (Rollout finished : List.of(promoted, aborted)) {
            assertInstanceOf(Step.Refused.class, finished.pause(T0, "x"));
            assertInstanceOf(Step.Refused.class, finished.resume(T0, "x"));
            assertInstanceOf(Step.Refused.class, finished.promote(T0, "x", Map.of()));
            assertInstanceOf(Step.Refused.class, finished.abort(T0, "x", Map.of()));
            assertEquals(new Step.Wait(Optional.empty()), finished.evaluate(T0, Map.of()));
        }
    }

    @Test
    void aRollbackNamesTheMembersItCouldNotTakeBackInItsEndingAndTimeline() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100)), 0, 0, 60),
                fleet(10));
        Step.RollBack aborted = assertInstanceOf(Step.RollBack.class, r.abort(T0.plusSeconds(1), "bob", silent(r)));
        assertEquals(aborted, aborted.notRolledBack(List.of(), 0), "nobody left behind: the same rollback");

        List<MemberFailure> stranded = IntStream.rangeClosed(1, 60).mapToObj(i -> new MemberFailure(id("db-" + i),
                "its own layer (collector@1) does not compose with fleet@5")).toList();
        Step.RollBack named = aborted.notRolledBack(stranded, 61);
        Ending ending = named.next().ending().orElseThrow();
        assertEquals(Ending.MAX_LISTED, ending.notRolledBack().size());
        assertEquals(61, ending.notRolledBackTotal());
        assertEquals(aborted.next().ending().orElseThrow().reason(), ending.reason(), "the reason is the rollback's");
        assertEquals(aborted.next().state(), named.next().state());
        String detail = named.events().get(0).detail();
        assertTrue(detail.startsWith(aborted.events().get(0).detail() + "; 61 members could not be rolled back: "
                + "db-1 (its own layer (collector@1) does not compose with fleet@5), db-2 ("), detail);
        assertTrue(detail.endsWith(" …") && !detail.contains("db-6 "), detail);
        assertEquals("1 member could not be rolled back: db-1 (why)",
                Step.RollBack.notRolledBackNote(List.of(new MemberFailure(id("db-1"), "why")), 1));
        assertThrows(IllegalArgumentException.class, () -> new Ending(T0, "x", List.of(), stranded.subList(0, 2), 1));
    }

    @Test
    void anEmptyWavePassesWithoutBaking() {
        List<Candidate> c = List.of(new Candidate(id("a"), Map.of("canary", "true"), false));
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.BySelector(new LabelSelector(Map.of("canary", "true"))),
                new WaveSpec.ByPercent(100)), 3600, 0, 60), c);
        Rollout second = assertInstanceOf(Step.StartWave.class, r.evaluate(T0.plusSeconds(3601),
                all(r, applied(T0.plusSeconds(1))))).next();
        assertTrue(second.currentWave().isEmpty());
        assertInstanceOf(Step.Complete.class, second.evaluate(T0.plusSeconds(3601), Map.of()));
    }

    @Test
    void aPlanWhoseFirstWaveHasNoMemberThatIsNotStaleWouldTestNothingAndNamesTheStaleMembers() {
        List<WaveSpec> waves = List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100));
        List<Candidate> stale = List.of(new Candidate(id("st-1"), Map.of(), true), new Candidate(id("st-2"), Map.of(), true),
                new Candidate(id("st-3"), Map.of(), true));
        WavePlan.UntestedWave untested = WavePlan.untested(waves, WavePlan.plan(waves, stale)).orElseThrow();
        assertEquals(1, untested.wave());
        assertEquals(stale.stream().map(Candidate::id).sorted(WavePlan.ORDER).toList(), untested.stale());
        assertEquals(new WavePlan.UntestedWave(1, List.of()),
                WavePlan.untested(waves, WavePlan.plan(waves, List.of())).orElseThrow(), "a layer without members");
    }

    @Test
    void aLaterPercentWaveMayBeEmptyButASelectorWaveMayNot() {
        List<WaveSpec> waves = List.of(new WaveSpec.ByPercent(50), new WaveSpec.ByPercent(100));
        List<Candidate> oneLive = List.of(new Candidate(id("a"), Map.of(), false), new Candidate(id("st"), Map.of(), true));
        List<PlannedWave> plan = WavePlan.plan(waves, oneLive);
        assertTrue(plan.get(1).members().isEmpty(), "the only live member went in wave 1");
        assertEquals(Optional.empty(), WavePlan.untested(waves, plan), "tested and baked in wave 1, so wave 2 may pass at once");

        List<WaveSpec> typo = List.of(new WaveSpec.ByPercent(50),
                new WaveSpec.BySelector(new LabelSelector(Map.of("canray", "true"))), new WaveSpec.ByPercent(100));
        List<Candidate> withStaleCanary = List.of(new Candidate(id("a"), Map.of(), false),
                new Candidate(id("c"), Map.of("canray", "true"), true));
        assertEquals(Optional.of(new WavePlan.UntestedWave(2, List.of(id("c")))),
                WavePlan.untested(typo, WavePlan.plan(typo, withStaleCanary)));
    }

    /** A member the staged version did not change: its revision 2 is from before the wave, and it failed it then. */
    private static MemberObservation unchangedFailedBefore() {
        return new MemberObservation.Present(2, SHA, RUNS_STAGED, Optional.of(new MemberObservation.LastReport(2,
                ApplyStatus.FAILED, "password_file missing", OLD_SHA, T0.minusSeconds(600))), T0.minusSeconds(3600));
    }

    @Test
    void aMemberTheStagedVersionDoesNotChangeIsNotJudgedByItsOldFailure() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(2));
        Map<CollectorId, MemberObservation> obs = new HashMap<>();
        obs.put(r.currentWave().get(0), unchangedFailedBefore());
        obs.put(r.currentWave().get(1), applied(T0.plusSeconds(1)));
        Step.Complete done = assertInstanceOf(Step.Complete.class, r.evaluate(T0.plusSeconds(2), obs));
        assertEquals(new WaveCounts(1, 0, 0, 1), done.next().results().get(0));
        assertTrue(done.events().get(0).detail().contains("(unchanged by fleet@4, not judged: "
                + r.currentWave().get(0) + ")"), done.events().get(0).detail());

        // Alone in its wave it tested nothing: at the deadline the rollout goes back, blaming nobody.
        Rollout alone = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(1));
        assertInstanceOf(Step.Wait.class, alone.evaluate(T0.plusSeconds(2), all(alone, unchangedFailedBefore())));
        Step.RollBack back = assertInstanceOf(Step.RollBack.class,
                alone.evaluate(T0.plusSeconds(60), all(alone, unchangedFailedBefore())));
        assertEquals("wave 1 of 1 failed: none of its 1 member applied fleet@4 within 60 s (1 unchanged by fleet@4)",
                back.next().ending().orElseThrow().reason());
        assertEquals(List.of(), back.next().ending().orElseThrow().failures());
    }

    @Test
    void aResumeRestartsTheWavesClockButNotWhenItBegan() {
        Rollout r = start(new RolloutPolicy(List.of(new WaveSpec.ByPercent(100)), 0, 0, 60), fleet(1));
        Rollout paused = ((Step.Changed) r.pause(T0.plusSeconds(5), "alice")).next();
        Rollout resumed = ((Step.Changed) paused.resume(T0.plusSeconds(50), "alice")).next();
        assertEquals(T0.plusSeconds(50), resumed.waveStartedAt());
        assertEquals(T0, resumed.waveBeganAt());
        // Its revision came with the wave (at T0, before the resume): still judged, and its failure counts.
        MemberObservation failedFresh = new MemberObservation.Present(2, SHA, RUNS_STAGED, Optional.of(
                new MemberObservation.LastReport(2, ApplyStatus.FAILED, "bad", OLD_SHA, T0.plusSeconds(51))), T0);
        assertInstanceOf(Step.RollBack.class, resumed.evaluate(T0.plusSeconds(52), all(resumed, failedFresh)));
    }
}
