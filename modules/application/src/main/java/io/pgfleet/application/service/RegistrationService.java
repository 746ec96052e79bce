package io.pgfleet.application.service;

import io.pgfleet.application.port.in.IdempotencyKey;
import io.pgfleet.application.port.in.IssueEnrolmentTokenUseCase;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.RegistrationCredential;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort;
import io.pgfleet.application.port.out.RecordAuditPort;
import io.pgfleet.application.port.out.LayerStorePort.Outcome;
import io.pgfleet.application.port.out.RegistrationStorePort;
import io.pgfleet.application.port.out.RegistrationStorePort.KeyedRegistration;
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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Registers collectors and issues enrolment tokens. A registration is all or nothing: the
 * collector (or the use of its enrolment token), its first refresh token and its first effective
 * document are stored in one transaction, so a registration that fails leaves nothing behind (an
 * agent retrying does not create a second collector; an enrolment token stays usable).
 *
 * <p>A registration that succeeded but whose answer was lost is the other half: the agent retries
 * with the same {@link IdempotencyKey}, and the key (hashed with the credential it came with, so it
 * means nothing without it) names the collector of the first attempt for {@link #KEY_RETENTION}.
 * The retry creates nothing and answers that collector with fresh tokens, revoking the refresh
 * token of the lost answer, so no two live token families come out of one registration.
 */
final class RegistrationService implements RegisterCollectorUseCase, IssueEnrolmentTokenUseCase {

    static final String REGISTRATION_SECRET = "registration_secret";
    /** How long a registration's idempotency key names its collector; the retention purge deletes older keys. */
    static final Duration KEY_RETENTION = Duration.ofHours(24);

    private final ServerSecretPort secrets;
    private final EnrolmentTokenStorePort enrolments;
    private final TokenIssuer issuer;
    private final SecuritySettings settings;
    private final Clock clock;
    private final LoginThrottle throttle;
    private final RecordAuditPort audit;
    private final RegistrationStorePort store;
    private final LayerChangeService layers;

    RegistrationService(ServerSecretPort secrets, EnrolmentTokenStorePort enrolments, TokenIssuer issuer, SecuritySettings settings, Clock clock,
                        LoginThrottle throttle, RecordAuditPort audit, RegistrationStorePort store, LayerChangeService layers) {
        this.store = store;
        this.layers = layers;
        this.throttle = throttle;
        this.audit = audit;
        this.secrets = secrets;
        this.enrolments = enrolments;
        this.issuer = issuer;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public RegistrationResult register(RegistrationCredential credential, String name, String hostname,
                                       Map<String, String> labels, Optional<IdempotencyKey> key, Actor actor) {
        String request = requestHash(name, hostname, labels, credential);
        RegistrationResult result = switch (credential) {
            case RegistrationCredential.Secret s -> withSecret(s.secret(), name, hostname, labels,
                    key.map(k -> new Keyed(keyHash("secret", Secrets.hash(s.secret() == null ? "" : s.secret()), k),
                            request)), actor);
            case RegistrationCredential.EnrolmentToken t -> withEnrolmentToken(t.token(), t.forCollector(), hostname,
                    key.map(k -> new Keyed(keyHash("enrolment", Secrets.hash(t.token() == null ? "" : t.token()), k),
                            request)), actor);
        };
        // A retry with a key that can never succeed again is audited like a wrong credential (it may
        // be a host trying to take back an identity handed elsewhere), but not counted against the
        // address: the key only names a registration together with the right credential, so it is
        // no guess, and a fleet behind one address whose lost answers' collectors were revoked
        // meanwhile would otherwise hold its operators' logins back.
        Optional<String> refusal = switch (result) {
            case RegistrationResult.Refused r -> Optional.of(r.reason());
            case RegistrationResult.KeyOutlived k -> Optional.of(k.reason());
            default -> Optional.empty();
        };
        if (refusal.isPresent()) {
            Instant now = clock.instant();
            // Audited up to the address's failure ceiling; past it only counted, so a flood of bad
            // secrets cannot become a flood of audit rows.
            if (throttle.addressBlocked(actor.address(), now).isEmpty()) {
                audit.recordAudit(new AuditEntry(now, new Actor("anonymous", actor.address()),
                        AuditAction.REGISTRATION_REFUSED, new AuditSubject.OfServer(), 0, refusal.get()));
            }
            if (result instanceof RegistrationResult.Refused) {
                throttle.addressFailed(actor.address(), now);
            }
        }
        return result;
    }

    /** A registration's key and request, as kept: hashes only. */
    private record Keyed(String keyHash, String requestHash) {
    }

    /** The key counts only with the credential it was used with: a key alone names nothing. */
    private static String keyHash(String kind, String credentialHash, IdempotencyKey key) {
        return Secrets.hash(kind + "\n" + credentialHash + "\n" + key.value());
    }

    /** What makes two registrations the same request; each part length-prefixed, so none can pass for another. */
    private static String requestHash(String name, String hostname, Map<String, String> labels,
                                      RegistrationCredential credential) {
        StringBuilder sb = new StringBuilder();
        java.util.function.Consumer<String> part = v -> sb.append(v.length()).append(':').append(v).append(';');
        part.accept(name == null ? "" : name);
        part.accept(hostname == null ? "" : hostname);
        new TreeMap<>(labels == null ? Map.<String, String>of() : labels).forEach((k, v) -> {
            part.accept(k);
            part.accept(v);
        });
        sb.append('|');
        if (credential instanceof RegistrationCredential.EnrolmentToken t) {
            part.accept(t.forCollector().map(CollectorId::value).orElse(""));
        }
        return Secrets.hash(sb.toString());
    }

    /**
     * Answers a retry of a registration that succeeded: the same collector, a new token family, the
     * family of the earlier answer revoked. Nothing is created; one audit entry says so.
     */
    private Outcome<Arrival> replay(RegistrationStorePort.Transaction tx, Keyed keyed, KeyedRegistration held, Instant now,
                                    Actor actor) {
        if (!held.requestHash().equals(keyed.requestHash())) {
            return Outcome.rollback(new Arrival(new RegistrationResult.KeyReused("the idempotency key was used for "
                    + "another registration request (name, hostname, labels or X-Collector-Id differ) within the last "
                    + KEY_RETENTION.toHours() + " hours; use a new key for a new request"), List.of()));
        }
        Optional<Collector> collector = tx.collector(held.collector()).filter(c -> !c.revoked());
        if (collector.isEmpty()) {
            return Outcome.rollback(new Arrival(new RegistrationResult.KeyOutlived(
                    "the collector this idempotency key registered is revoked or gone"), List.of()));
        }
        // The answer whose loss a retry makes good was never received, so its session is going on
        // unless something ended it since: an enrolment that handed the identity to another host
        // (a revocation lifted by a re-bind, say), or its refresh token presented twice. A retry
        // must not take the identity back from that host.
        if (!tx.sessionLive(held.familyId())) {
            return Outcome.rollback(new Arrival(new RegistrationResult.KeyOutlived(
                    "the session this idempotency key registered has ended: its collector was enrolled again since"
                            + " or its refresh token was presented twice"), List.of()));
        }
        String family = UUID.randomUUID().toString();
        CollectorId id = held.collector();
        io.pgfleet.application.port.in.TokenPair tokens =
                issuer.newFamily(new Principal(id.value(), Role.COLLECTOR), tx, family);
        tx.reissueRegistration(keyed.keyHash(), held.familyId(), family, now);
        tx.saveSeen(id, now);
        tx.audit(new AuditEntry(now, new Actor(id.value(), actor.address()), AuditAction.REGISTRATION_REPLAYED,
                new AuditSubject.OfCollector(id), 0, "registration retried with its idempotency key: nothing created,"
                + " fresh tokens issued and those of the earlier answer revoked"));
        return Outcome.commit(new Arrival(new RegistrationResult.Replayed(collector.get(), tokens), List.of()));
    }

    private RegistrationResult withSecret(String secret, String name, String hostname, Map<String, String> labels,
                                          Optional<Keyed> keyed, Actor actor) {
        Optional<String> expected = secrets.loadSecretHash(REGISTRATION_SECRET);
        if (secret == null || secret.isEmpty() || expected.isEmpty()
                || !Secrets.sameHash(Secrets.hash(secret), expected.get())) {
            return new RegistrationResult.Refused("wrong registration secret");
        }
        CollectorId id = CollectorId.random();
        Instant now = clock.instant();
        if (keyed.isEmpty()) {
            // Refused before a transaction is opened; a keyed request is checked once its key is known
            // to be new, below.
            newCollector(id, name, hostname, labels, now);
        }
        String family = UUID.randomUUID().toString();
        return store.transact(tx -> {
            // The shared layers lock before any write: see LayerChangeService#change for why a layer
            // change running at the same time still composes this collector's document.
            tx.lockLayersShared();
            if (keyed.isPresent()) {
                Optional<KeyedRegistration> held = tx.claimRegistrationKey(keyed.get().keyHash(),
                        new KeyedRegistration(id, keyed.get().requestHash(), family), now, now.minus(KEY_RETENTION));
                if (held.isPresent()) {
                    return replay(tx, keyed.get(), held.get(), now, actor);
                }
            }
            // Today's rules for a new collector apply only now, after the replay: a retry of a
            // registration an earlier release accepted under a looser label rule must get its
            // collector back, not a 400 that locks the agent out. Refusing throws, which rolls the
            // key's claim back.
            Collector collector = newCollector(id, name, hostname, labels, now);
            AuditEntry audit = new AuditEntry(now, new Actor(id.value(), actor.address()),
                    AuditAction.COLLECTOR_REGISTERED, new AuditSubject.OfCollector(id), 0,
                    "registered with the registration secret as '" + collector.name() + "' on "
                    + (collector.hostname().isEmpty() ? "an unnamed host" : collector.hostname()));
            if (!tx.insertCollector(collector, audit)) {
                throw new IllegalStateException("a random collector id collided: " + id);
            }
            return Outcome.commit(registered(tx, collector, now, family));
        }).announced(layers);
    }

    /**
     * The collector a new registration creates, under today's rules for names and labels.
     *
     * @throws IllegalArgumentException naming what is not accepted
     */
    private static Collector newCollector(CollectorId id, String name, String hostname, Map<String, String> labels,
                                          Instant now) {
        return new Collector(id, name == null || name.isBlank() ? id.value() : Collector.checkNewText("name", name),
                hostname == null ? "" : Collector.checkNewText("hostname", hostname), Collector.checkNewLabels(labels),
                now, false);
    }

    /** A registration's result and the effective revisions to announce once it is committed. */
    private record Arrival(RegistrationResult result, List<LayerComposer.Save> saves) {
        RegistrationResult announced(LayerChangeService layers) {
            layers.announce(saves);
            return result;
        }
    }

    private Arrival registered(RegistrationStorePort.Transaction tx, Collector collector, Instant now, String family) {
        // Registering is contact with an agent (one made known by an operator stays never seen until then).
        tx.saveSeen(collector.id(), now);
        List<LayerComposer.Save> saves = layers.arrive(tx, collector.id(), now);
        return new Arrival(new RegistrationResult.Registered(collector,
                issuer.newFamily(new Principal(collector.id().value(), Role.COLLECTOR), tx, family)), saves);
    }

    private RegistrationResult withEnrolmentToken(String token, Optional<CollectorId> forCollector, String hostname,
                                                  Optional<Keyed> keyed, Actor actor) {
        if (token == null || token.isBlank() || token.length() > 200) {
            return new RegistrationResult.Refused("no enrolment token");
        }
        // The host the agent runs on, as a registration with the secret records it: the one field
        // that ties a pre-provisioned collector to a machine. An agent that sends none (an older
        // release, or none known) leaves what the collector has.
        String sentHostname = hostname == null || hostname.isEmpty() ? "" : Collector.checkNewText("hostname", hostname);
        Instant now = clock.instant();
        String family = UUID.randomUUID().toString();
        return store.transact(tx -> {
            tx.lockLayersShared();
            Optional<CollectorId> id = tx.consumeEnrolmentToken(Secrets.hash(token), now, forCollector);
            if (id.isEmpty() && keyed.isPresent()) {
                // Used already: by this very registration, whose answer was lost? (A concurrent
                // first attempt with the key has committed by now: the token's row lock waited for it.)
                Optional<KeyedRegistration> held = tx.lockRegistrationKey(keyed.get().keyHash(), now.minus(KEY_RETENTION));
                if (held.isPresent()) {
                    return replay(tx, keyed.get(), held.get(), now, actor);
                }
            }
            if (id.isEmpty()) {
                return Outcome.rollback(new Arrival(new RegistrationResult.Refused(forCollector.isPresent()
                        ? "unknown, used or expired enrolment token, or one issued for another collector than "
                        + forCollector.get().value()
                        : "unknown, used or expired enrolment token"), List.of()));
            }
            // A decommissioned collector is absent here: its id is never enrolled again, whenever
            // its token was issued.
            Optional<Collector> found = tx.collector(id.get());
            if (found.isEmpty()) {
                return Outcome.rollback(new Arrival(new RegistrationResult.Refused(
                        "the collector of this enrolment token is decommissioned or gone"), List.of()));
            }
            if (keyed.isPresent() && tx.claimRegistrationKey(keyed.get().keyHash(), new KeyedRegistration(id.get(),
                    keyed.get().requestHash(), family), now, now.minus(KEY_RETENTION)).isPresent()) {
                // The token was unused, so no registration with it can hold the key: unreachable
                // but for a hash collision; nothing is kept.
                return Outcome.rollback(new Arrival(new RegistrationResult.KeyReused(
                        "the idempotency key is held by another registration"), List.of()));
            }
            Collector c = found.get();
            // Said in the audit entry: the hostname is what ties a pre-provisioned collector to a machine.
            boolean hostnameChanges = !sentHostname.isEmpty() && !sentHostname.equals(c.hostname());
            if (c.revoked()) {
                // Issuing the token was the operator's decision to re-bind.
                tx.liftRevocation(c.id());
            }
            // The identity is the enrolling agent's alone from now on: an agent that held it before
            // (a re-imaged or cloned host) refreshes no more, and its access token ends with its
            // lifetime. The new family is issued after this, so it is not touched.
            tx.revokeRefreshTokens(c.id(), now);
            // A re-bind hands the identity to whoever holds the token: it must be as visible in the
            // audit trail as a registration with the secret, and it commits with it.
            tx.audit(new AuditEntry(now, new Actor(c.id().value(), actor.address()), AuditAction.COLLECTOR_ENROLLED,
                    new AuditSubject.OfCollector(c.id()), 0, "registered with an enrolment token as '" + c.name()
                    + "'" + (c.revoked() ? "; its revocation lifted" : "") + (hostnameChanges
                    ? "; hostname '" + c.hostname() + "' -> '" + sentHostname + "'" : "")));
            if (hostnameChanges) {
                tx.saveHostname(c.id(), sentHostname);
            }
            Collector enrolled = new Collector(c.id(), c.name(), sentHostname.isEmpty() ? c.hostname() : sentHostname,
                    c.labels(), c.createdAt(), false);
            return Outcome.commit(registered(tx, enrolled, now, family));
        }).announced(layers);
    }

    @Override
    public EnrolmentResult issueEnrolmentToken(CollectorId collectorId, Actor actor) {
        String token = Secrets.randomToken();
        Instant now = clock.instant();
        Instant expires = now.plus(settings.enrolmentTokenTtl());
        // The store decides whether the collector exists and is not decommissioned, in the
        // transaction that stores the token.
        return switch (enrolments.saveEnrolmentToken(Secrets.hash(token), collectorId, expires, new AuditEntry(now,
                actor, AuditAction.ENROLMENT_TOKEN_ISSUED, new AuditSubject.OfCollector(collectorId), 0,
                "valid until " + expires))) {
            case EnrolmentTokenStorePort.Saving.Stored s -> new EnrolmentResult.Issued(token, expires);
            case EnrolmentTokenStorePort.Saving.Unknown u -> new EnrolmentResult.CollectorNotFound(collectorId);
            case EnrolmentTokenStorePort.Saving.Decommissioned d -> new EnrolmentResult.Decommissioned(collectorId, d.at());
        };
    }
}
