package io.pgfleet.application.port.in;

import java.util.Objects;

/**
 * The configuration use cases: publishing, reading, watching, rolling back, validating, history.
 *
 * @param publish publishing a new version
 * @param get reading the latest or one version
 * @param watch long-poll watches
 * @param rollback publishing an earlier version again
 * @param validate dry-run validation
 * @param history reading history pages
 */
public record ConfigUseCases(PublishConfigUseCase publish, GetConfigQuery get, WatchConfigQuery watch,
                             RollbackConfigUseCase rollback, ValidateConfigQuery validate,
                             ConfigHistoryQuery history, RestoredStatusUseCase restored) {

    /** Requires every use case. */
    public ConfigUseCases {
        Objects.requireNonNull(publish, "publish");
        Objects.requireNonNull(get, "get");
        Objects.requireNonNull(watch, "watch");
        Objects.requireNonNull(rollback, "rollback");
        Objects.requireNonNull(validate, "validate");
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(restored, "restored");
    }
}
