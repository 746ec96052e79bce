package io.pgfleet.application.port.in;

import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerPublishResult;

/**
 * Publishing a version of the fleet layer or of a group's layer, or an earlier version again. The
 * layer is validated as a partial document, then every affected collector's effective document
 * whole; nothing is stored unless all pass.
 */
public interface PublishLayerUseCase {

    /**
     * Publishes a new version.
     *
     * @param layer        the fleet or a group
     * @param document     the partial document
     * @param precondition the {@code If-Match} expectation
     * @param actor        who publishes
     * @param message      the change message, empty when none
     * @return the outcome
     */
    default LayerPublishResult publish(LayerId layer, ConfigDocument document, Precondition precondition, Actor actor,
                                       String message) {
        return publish(layer, document, precondition, actor, message, CapabilityMode.CHECK);
    }

    /**
     * Publishes a new version; members whose hosts lack what their new effective documents need
     * refuse it ({@link CapabilityMode#CHECK}) or are marked ({@link CapabilityMode#FORCE}).
     *
     * @param layer        the fleet or a group
     * @param document     the partial document
     * @param precondition the {@code If-Match} expectation
     * @param actor        who publishes
     * @param message      the change message, empty when none
     * @param mode         refuse or mark members lacking capabilities
     * @return the outcome
     */
    LayerPublishResult publish(LayerId layer, ConfigDocument document, Precondition precondition, Actor actor,
                               String message, CapabilityMode mode);

    /**
     * Publishes an earlier version's document as a new version.
     *
     * @param layer        the fleet or a group
     * @param toVersion    the version to go back to
     * @param precondition the {@code If-Match} expectation
     * @param actor        who rolls back
     * @param message      the change message, empty when none
     * @return the outcome
     */
    default LayerPublishResult rollback(LayerId layer, ConfigVersion toVersion, Precondition precondition, Actor actor,
                                        String message) {
        return rollback(layer, toVersion, precondition, actor, message, CapabilityMode.CHECK);
    }

    /**
     * Publishes an earlier version's document as a new version, checked like a publish.
     *
     * @param layer        the fleet or a group
     * @param toVersion    the version to go back to
     * @param precondition the {@code If-Match} expectation
     * @param actor        who rolls back
     * @param message      the change message, empty when none
     * @param mode         refuse or mark members lacking capabilities
     * @return the outcome
     */
    LayerPublishResult rollback(LayerId layer, ConfigVersion toVersion, Precondition precondition, Actor actor,
                                String message, CapabilityMode mode);
}
