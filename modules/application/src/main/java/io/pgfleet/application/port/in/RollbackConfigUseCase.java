package io.pgfleet.application.port.in;

import io.pgfleet.domain.config.PublishResult;

/**
 * Getting back to an earlier configuration in one step, without losing history.
 */
public interface RollbackConfigUseCase {

    /**
     * Publishes version N's document as the next version, with source {@code rollback:N}.
     *
     * @param command the rollback
     * @return {@link PublishResult.Published}, {@link PublishResult.Unchanged} when N's document is
     *         already the latest, {@link PublishResult.UnknownVersion}, a conflict, not-found or decommissioned outcome
     */
    PublishResult rollback(RollbackConfigCommand command);
}
