package io.pgfleet.application.service;

import io.pgfleet.application.port.in.IssueEnrolmentTokenUseCase;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.RegistrationCredential;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.RecordAuditPort;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LayerStorePort.Outcome;
import io.pgfleet.application.port.out.ServerSecretPort;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Registers collectors and issues enrolment tokens. A registration is all or nothing: the
 * collector (or the use of its enrolment token), its first refresh token and its first effective
 * document are stored in one transaction, so a registration that fails leaves nothing behind (an
 * agent retrying does not create a second collector; an enrolment token stays usable).
 */
final class RegistrationService implements RegisterCollectorUseCase, IssueEnrolmentTokenUseCase {

    static final String REGISTRATION_SECRET = "registration_secret";

    private final ServerSecretPort secrets;
    private final EnrolmentTokenStorePort enrolments;
    private final LoadCollectorPort loadCollector;
    private final TokenIssuer issuer;
    private final SecuritySettings settings;
    private final Clock clock;
    private final LoginThrottle throttle;
    private final RecordAuditPort audit;
    private final LayerStorePort store;
    private final LayerChangeService layers;

    RegistrationService(ServerSecretPort secrets, EnrolmentTokenStorePort enrolments, LoadCollectorPort loadCollector,
                        TokenIssuer issuer, SecuritySettings settings, Clock clock,
                        LoginThrottle throttle, RecordAuditPort audit, LayerStorePort store, LayerChangeService layers) {
        this.store = store;
        this.layers = layers;
        this.throttle = throttle;
        this.audit = audit;
        this.secrets = secrets;
        this.enrolments = enrolments;
        this.loadCollector = loadCollector;
        this.issuer = issuer;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public RegistrationResult register(RegistrationCredential credential, String name, String hostname,
                                       Map<String, String> labels, Actor actor) {
        RegistrationResult result = switch (credential) {
            case RegistrationCredential.Secret s -> withSecret(s.secret(), name, hostname, labels, actor);
            case RegistrationCredential.EnrolmentToken t -> withEnrolmentToken(t.token(), t.forCollector(), actor);
        };
        if (result instanceof RegistrationResult.Refused refused) {
            Instant now = clock.instant();
            // Audited up to the address's failure ceiling; past it only counted, so a flood of bad
            // secrets cannot become a flood of audit rows.
            if (throttle.addressBlocked(actor.address(), now).isEmpty()) {
                audit.recordAudit(new AuditEntry(now, new Actor("anonymous", actor.address()),
                        AuditAction.REGISTRATION_REFUSED, new AuditSubject.OfServer(), 0, refused.reason()));
            }
            throttle.addressFailed(actor.address(), now);
        }
        return result;
    }

    private RegistrationResult withSecret(String secret, String name, String hostname, Map<String, String> labels,
                                          Actor actor) {
        Optional<String> expected = secrets.loadSecretHash(REGISTRATION_SECRET);
        if (secret == null || secret.isEmpty() || expected.isEmpty()
                || !Secrets.sameHash(Secrets.hash(secret), expected.get())) {
            return new RegistrationResult.Refused("wrong registration secret");
        }
        CollectorId id = CollectorId.random();
        Instant now = clock.instant();
        Collector collector = new Collector(id, name == null || name.isBlank() ? id.value() : name,
                hostname == null ? "" : hostname, labels, now, false);
        AuditEntry audit = new AuditEntry(now, new Actor(id.value(), actor.address()), AuditAction.COLLECTOR_REGISTERED,
                new AuditSubject.OfCollector(id), 0, "registered with the registration secret as '" + collector.name()
                + "' on " + (collector.hostname().isEmpty() ? "an unnamed host" : collector.hostname()));
        return store.transact(tx -> {
            // The shared layers lock before any write: see LayerChangeService#change for why a layer
            // change running at the same time still composes this collector's document.
            tx.lockLayersShared();
            if (!tx.insertCollector(collector, audit)) {
                throw new IllegalStateException("a random collector id collided: " + id);
            }
            return Outcome.commit(registered(tx, collector, now));
        }).announced(layers);
    }

    /** A registration's result and the effective revisions to announce once it is committed. */
    private record Arrival(RegistrationResult result, List<LayerComposer.Save> saves) {
        RegistrationResult announced(LayerChangeService layers) {
            layers.announce(saves);
            return result;
        }
    }

    private Arrival registered(LayerStorePort.Transaction tx, Collector collector, Instant now) {
        List<LayerComposer.Save> saves = layers.arrive(tx, collector.id(), now);
        return new Arrival(new RegistrationResult.Registered(collector,
                issuer.newFamily(new Principal(collector.id().value(), Role.COLLECTOR), tx)), saves);
    }

    private RegistrationResult withEnrolmentToken(String token, Optional<CollectorId> forCollector, Actor actor) {
        if (token == null || token.isBlank() || token.length() > 200) {
            return new RegistrationResult.Refused("no enrolment token");
        }
        Instant now = clock.instant();
        return store.transact(tx -> {
            tx.lockLayersShared();
            Optional<CollectorId> id = tx.consumeEnrolmentToken(Secrets.hash(token), now, forCollector);
            if (id.isEmpty()) {
                return Outcome.rollback(new Arrival(new RegistrationResult.Refused(forCollector.isPresent()
                        ? "unknown, used or expired enrolment token, or one issued for another collector than "
                        + forCollector.get().value()
                        : "unknown, used or expired enrolment token"), List.of()));
            }
            Optional<Collector> collector = tx.collector(id.get()).filter(c -> !c.revoked());
            if (collector.isEmpty()) {
                return Outcome.rollback(new Arrival(
                        new RegistrationResult.Refused("the collector of this enrolment token is gone"), List.of()));
            }
            return Outcome.commit(registered(tx, collector.get(), now));
        }).announced(layers);
    }

    @Override
    public EnrolmentResult issueEnrolmentToken(CollectorId collectorId, Actor actor) {
        if (loadCollector.loadCollector(collectorId).isEmpty()) {
            return new EnrolmentResult.CollectorNotFound(collectorId);
        }
        String token = Secrets.randomToken();
        Instant now = clock.instant();
        Instant expires = now.plus(settings.enrolmentTokenTtl());
        enrolments.saveEnrolmentToken(Secrets.hash(token), collectorId, expires, new AuditEntry(now, actor,
                AuditAction.ENROLMENT_TOKEN_ISSUED, new AuditSubject.OfCollector(collectorId), 0,
                "valid until " + expires));
        return new EnrolmentResult.Issued(token, expires);
    }
}
