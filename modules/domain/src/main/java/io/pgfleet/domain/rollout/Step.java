package io.pgfleet.domain.rollout;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a rollout does next, as its rules decide: wait, start a wave, complete, roll back, change
 * state (pause, resume), or refuse an operator's command.
 */
public sealed interface Step {

    /**
     * Nothing to do yet.
     *
     * @param until when something can change without a new report (a deadline, the end of a bake), if ever
     */
    record Wait(Optional<Instant> until) implements Step {
        /** Requires the instant. */
        public Wait {
            Objects.requireNonNull(until, "until");
        }
    }

    /**
     * A step that changes the rollout.
     */
    sealed interface Transition extends Step {
        /**
         * The rollout after the step.
         *
         * @return it
         */
        Rollout next();

        /**
         * What to add to the timeline.
         *
         * @return the events in order
         */
        List<TimelineEvent> events();
    }

    /**
     * The next wave starts: its members receive the staged version.
     *
     * @param next   the rollout, its started waves counting the new one
     * @param events the timeline entries
     */
    record StartWave(Rollout next, List<TimelineEvent> events) implements Transition {
        /** Copies the events. */
        public StartWave {
            events = List.copyOf(events);
        }
    }

    /**
     * The staged version becomes the layer's current version for every member.
     *
     * @param next   the completed rollout
     * @param events the timeline entries
     */
    record Complete(Rollout next, List<TimelineEvent> events) implements Transition {
        /** Copies the events. */
        public Complete {
            events = List.copyOf(events);
        }
    }

    /**
     * The previous version is published again and every member that received the staged version
     * gets its previous effective document back.
     *
     * @param next   the rolled-back rollout, with the reason and the failing members
     * @param events the timeline entries
     */
    record RollBack(Rollout next, List<TimelineEvent> events) implements Transition {
        /** Copies the events. */
        public RollBack {
            events = List.copyOf(events);
        }

        /**
         * The same rollback, with the members that could not be given their previous effective
         * document back (their layers do not compose with the version published again): the
         * rollout's ending lists them and the {@code rolled_back} event names the first of them.
         *
         * @param members the first of them (at most {@link Ending#MAX_LISTED} are kept), each with why
         * @param total   how many there are
         * @return the rollback; this one when there are none
         */
        public RollBack notRolledBack(List<MemberFailure> members, int total) {
            if (total == 0) {
                return this;
            }
            Ending e = next.ending().orElseThrow();
            Rollout r = new Rollout(next.id(), next.layer(), next.stagedVersion(), next.previousVersion(),
                    next.policy(), next.waves(), next.state(), next.startedWaves(), next.waveStartedAt(),
                    next.waveBeganAt(),
                    next.results(), next.createdAt(), next.createdBy(), next.message(),
                    Optional.of(new Ending(e.at(), e.reason(), e.failures(), members, total)));
            String note = notRolledBackNote(members, total);
            List<TimelineEvent> out = events.stream().map(x -> x.kind().equals("rolled_back")
                    ? new TimelineEvent(x.at(), x.kind(), x.detail() + "; " + note, x.by()) : x).toList();
            return new RollBack(r, out);
        }

        /**
         * A sentence naming the members a rollback could not take back, for the timeline and the
         * audit trail: the count, then the first five with why.
         *
         * @param members the first of them, each with why
         * @param total   how many there are
         * @return the sentence
         */
        public static String notRolledBackNote(List<MemberFailure> members, int total) {
            return total + (total == 1 ? " member" : " members") + " could not be rolled back: "
                    + String.join(", ", members.stream().limit(5).map(f -> f.collectorId() + " (" + f.error() + ")")
                    .toList()) + (total > Math.min(5, members.size()) ? " …" : "");
        }
    }

    /**
     * Paused or resumed: only the rollout's own state changes.
     *
     * @param next   the rollout
     * @param events the timeline entries
     */
    record Changed(Rollout next, List<TimelineEvent> events) implements Transition {
        /** Copies the events. */
        public Changed {
            events = List.copyOf(events);
        }
    }

    /**
     * An operator's command that the rollout's state does not allow; nothing changes.
     *
     * @param reason why, in a sentence
     */
    record Refused(String reason) implements Step {
        /** Requires the reason. */
        public Refused {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
