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
