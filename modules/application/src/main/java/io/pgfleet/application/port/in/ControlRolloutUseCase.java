package io.pgfleet.application.port.in;

import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.MemberErrors;
import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutId;

import java.util.List;
import java.util.Objects;

/**
 * An operator's commands on a rollout: pause, resume, promote (complete now) and abort (roll back now).
 */
public interface ControlRolloutUseCase {

    /** The commands. */
    enum Command {
        /** Stop the progression. */
        PAUSE,
        /** Go on; the current wave's deadline and bake count from now. */
        RESUME,
        /**
         * Skip the remaining waves: the staged version becomes current for every member; refused,
         * changing nothing, when that would make members' effective documents invalid.
         */
        PROMOTE,
        /** Roll back now. */
        ABORT
    }

    /**
     * Carries out a command.
     *
     * @param id      the rollout
     * @param command what to do
     * @param actor   who
     * @return the outcome
     */
    ControlResult control(RolloutId id, Command command, Actor actor);

    /** The expected outcomes of a command. */
    sealed interface ControlResult {
        /** @param rollout the rollout after the command */
        record Done(Rollout rollout) implements ControlResult {
        }

        /** No rollout has that id. */
        record NotFound() implements ControlResult {
        }

        /** @param reason why the rollout's state does not allow the command; nothing changed */
        record Refused(String reason) implements ControlResult {
        }

        /**
         * A promote or resume refused because the staged version would make members' effective
         * documents invalid (their own layers, changed during the rollout, do not compose with it);
         * nothing changed, the rollout goes on as it was.
         *
         * @param rollout the rollout, as it still is
         * @param command the command refused: {@link Command#PROMOTE} or {@link Command#RESUME}
         * @param members the first of them with their errors
         * @param total   how many there are
         */
        record MembersInvalid(Rollout rollout, Command command, List<MemberErrors> members, int total)
                implements ControlResult {
            /** Copies the list. */
            public MembersInvalid {
                Objects.requireNonNull(command, "command");
                members = List.copyOf(members);
            }
        }
    }
}
