package io.pgfleet.application.service;

import io.pgfleet.application.port.in.IdempotencyKey;
import io.pgfleet.application.port.in.ProvisionCollectorCommand;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.RegistrationCredential;
import io.pgfleet.domain.identity.Actor;

import java.util.Map;
import java.util.Optional;

/**
 * A collector that joins the fleet, provisioned by an operator or registered by its agent,
 * receives the fleet's and its groups' values at once: its effective document is composed as soon
 * as it exists, not at the next layer change (a registration composes it in the transaction that
 * creates the collector, see RegistrationService).
 */
final class ArrivalsGetTheirLayers implements ProvisionCollectorUseCase, RegisterCollectorUseCase {

    private final ProvisionCollectorUseCase provisioning;
    private final RegisterCollectorUseCase registration;
    private final LayerChangeService layers;

    ArrivalsGetTheirLayers(ProvisionCollectorUseCase provisioning, RegisterCollectorUseCase registration,
                           LayerChangeService layers) {
        this.provisioning = provisioning;
        this.registration = registration;
        this.layers = layers;
    }

    @Override
    public ProvisionResult provision(ProvisionCollectorCommand command) {
        ProvisionResult result = provisioning.provision(command);
        if (result instanceof ProvisionResult.Provisioned p) {
            layers.refresh(p.collector().id());
        }
        return result;
    }

    @Override
    public RegistrationResult register(RegistrationCredential credential, String name, String hostname,
                                       Map<String, String> labels, Optional<IdempotencyKey> key, Actor actor) {
        // A registration composes its collector's document in its own transaction (all or nothing).
        return registration.register(credential, name, hostname, labels, key, actor);
    }
}
