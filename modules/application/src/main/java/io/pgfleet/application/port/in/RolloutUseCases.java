package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * The staged rollout use cases.
 *
 * @param start   starting a rollout
 * @param control pausing, resuming, promoting and aborting
 * @param query   reading rollouts
 * @param drive   moving rollouts on (the server's scheduler)
 */
public record RolloutUseCases(StartRolloutUseCase start, ControlRolloutUseCase control, RolloutQuery query,
                              DriveRolloutsUseCase drive) {

    /** Requires every use case. */
    public RolloutUseCases {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(drive, "drive");
    }
}
