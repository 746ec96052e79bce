package io.pgfleet.application.service;

import io.pgfleet.application.port.in.IssueEnrolmentTokenUseCase;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.RegistrationCredential;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.RecordAuditPort;
import io.pgfleet.application.port.out.SaveCollectorPort;
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
import java.util.Map;
import java.util.Optional;

final class RegistrationService implements RegisterCollectorUseCase, IssueEnrolmentTokenUseCase {

    static final String REGISTRATION_SECRET = "registration_secret";

    private final ServerSecretPort secrets;
    private final EnrolmentTokenStorePort enrolments;
    private final LoadCollectorPort loadCollector;
    private final SaveCollectorPort saveCollector;
    private final TokenIssuer issuer;
    private final SecuritySettings settings;
    private final Clock clock;
    private final LoginThrottle throttle;
    private final RecordAuditPort audit;

    RegistrationService(ServerSecretPort secrets, EnrolmentTokenStorePort enrolments, LoadCollectorPort loadCollector,
                        SaveCollectorPort saveCollector, TokenIssuer issuer, SecuritySettings settings, Clock clock,
                        LoginThrottle throttle, RecordAuditPort audit) {
        this.throttle = throttle;
        this.audit = audit;
        this.secrets = secrets;
        this.enrolments = enrolments;
        this.loadCollector = loadCollector;
        this.saveCollector = saveCollector;
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
        if (!saveCollector.saveNewCollector(collector, audit)) {
            throw new IllegalStateException("a random collector id collided: " + id);
        }
        return new RegistrationResult.Registered(collector, issuer.newFamily(new Principal(id.value(), Role.COLLECTOR)));
    }

    private RegistrationResult withEnrolmentToken(String token, Optional<CollectorId> forCollector, Actor actor) {
        if (token == null || token.isBlank() || token.length() > 200) {
            return new RegistrationResult.Refused("no enrolment token");
        }
        Optional<CollectorId> id = enrolments.consumeEnrolmentToken(Secrets.hash(token), clock.instant(), forCollector);
        if (id.isEmpty()) {
            return new RegistrationResult.Refused(forCollector.isPresent()
                    ? "unknown, used or expired enrolment token, or one issued for another collector than "
                    + forCollector.get().value()
                    : "unknown, used or expired enrolment token");
        }
        Optional<Collector> collector = loadCollector.loadCollector(id.get()).filter(c -> !c.revoked());
        if (collector.isEmpty()) {
            return new RegistrationResult.Refused("the collector of this enrolment token is gone");
        }
        return new RegistrationResult.Registered(collector.get(),
                issuer.newFamily(new Principal(id.get().value(), Role.COLLECTOR)));
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
