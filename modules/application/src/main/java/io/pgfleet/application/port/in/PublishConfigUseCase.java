package io.pgfleet.application.port.in;

import io.pgfleet.domain.config.PublishResult;

/**
 * Publishing a new version of a collector's configuration.
 */
public interface PublishConfigUseCase {

    /**
     * Publishes a document as the collector's next version, unless it equals the latest one or
     * the publisher's expectation of the latest version is stale.
     *
     * @param command what to publish
     * @return the outcome; nothing is stored unless it is {@link PublishResult.Published}
     */
    PublishResult publish(PublishConfigCommand command);
}
