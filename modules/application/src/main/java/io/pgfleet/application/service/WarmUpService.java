package io.pgfleet.application.service;

import io.pgfleet.application.port.in.WarmUpUseCase;
import io.pgfleet.domain.capability.CapabilityMode;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigHistory;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerMember;
import io.pgfleet.domain.layer.OwnLayer;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.schema.ConfigValidator;
import io.pgfleet.domain.schema.ParseOutcome;
import io.pgfleet.domain.schema.Validation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs what a publish of a collector's own document and a publish of the fleet layer compute before
 * and after their transaction — the same validator and composer objects as the real use cases, on
 * built-in documents — without their storage: it has no outgoing port but the parser, so it cannot
 * store, audit or announce anything.
 *
 * <p>Why: the first publish after a start (or after an idle spell long enough for nothing to have
 * run it) otherwise runs this code interpreted, several times slower than once compiled.
 */
final class WarmUpService implements WarmUpUseCase {

    /** How many collectors a round's layer change recomputes: enough to take the grouping paths. */
    private static final int MEMBERS = 12;

    private static final String OWN = """
            [collector]
            config_pull_interval = 300
            push_interval = 60
            watch = true

            [postgres]
            host = "localhost"
            port = 5432
            user = "postgres"
            databases = ["postgres", "app"]
            sslmode = "prefer"

            [collectors.pg_stats]
            enabled = true
            interval = 60
            [collectors.pg_connections]
            enabled = true
            interval = 30
            [collectors.pg_locks]
            enabled = false
            interval = 60
            [collectors.sysstat]
            enabled = true
            interval = 30
            [collectors.disk_usage]
            enabled = true
            interval = 300
            paths = ["/", "/var/lib/postgresql"]
            # an operator's note, as documents carry them
            """;

    private static final String FLEET = """
            [collector]
            push_interval = 30

            [collectors]
            pg_locks = { enabled = true, interval = 15 }
            """;

    private static final String GROUP = """
            [postgres]
            sslmode = "verify-full"
            port = 6432
            """;

    private final DocumentValidator validator;
    private final LayerComposer composer;
    // The composer's count of real work when counting began: before the server serves, not at the
    // first round, which runs after that; taken there, it counted a publish in between as done before
    // the warm-up, and the warm-up ran all its rounds beside it.
    private volatile long workBefore;

    WarmUpService(DocumentValidator validator, LayerComposer composer) {
        this.validator = validator;
        this.composer = composer;
        this.workBefore = composer.sessionsOfWork();
    }

    @Override
    public void countWorkFromNow() {
        workBefore = composer.sessionsOfWork();
    }

    @Override
    public Warmed warmUp(int rounds) {
        if (rounds < 0 || rounds > MAX_ROUNDS) {
            throw new IllegalArgumentException("rounds must be 0.." + MAX_ROUNDS + ", got " + rounds);
        }
        long start = System.nanoTime();
        long first = 0;
        long last = 0;
        int done = 0;
        Samples samples = new Samples();
        Ending ending = Ending.COMPLETED;
        while (done < rounds) {
            if (Thread.currentThread().isInterrupted()) {
                ending = Ending.INTERRUPTED;
                break;
            }
            if (composer.sessionsOfWork() > workBefore) {
                ending = Ending.WORK_ARRIVED;
                break;
            }
            long t = System.nanoTime();
            samples.round(done);
            last = System.nanoTime() - t;
            if (done == 0) {
                first = last;
            }
            done++;
        }
        return new Warmed(done, ending, Duration.ofNanos(first), Duration.ofNanos(last),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** The built-in collectors, layers and groups, made once per warm-up. */
    private final class Samples {
        private final Instant at = Instant.EPOCH;
        private final Actor actor = new Actor("warm-up", "local");
        private final List<ConfigDocument> owns = new ArrayList<>();
        private final ConfigDocument fleet = new ConfigDocument(FLEET);
        private final ConfigDocument group = new ConfigDocument(GROUP);
        private final List<LayerMember> members = new ArrayList<>();
        private final LayerComposer.World before;

        Samples() {
            for (int i = 0; i < 4; i++) {
                owns.add(new ConfigDocument(OWN.replace("port = 5432", "port = " + (5432 + i))));
            }
            GroupId prod = new GroupId("warm-up-prod");
            Group g = new Group(prod, new LabelSelector(Map.of("env", "prod")), 10, "");
            before = new LayerComposer.World(Optional.of(layer(new LayerId.Fleet(), 1, fleet)), List.of(g),
                    Map.of(prod, layer(new LayerId.Group(prod), 1, group)), List.of());
            for (int i = 0; i < MEMBERS; i++) {
                CollectorId id = new CollectorId("warm-up-" + i);
                ConfigDocument own = owns.get(i % owns.size());
                members.add(new LayerMember(id, i % 2 == 0 ? Map.of("env", "prod") : Map.of("env", "test"),
                        Optional.of(OwnLayer.of(revision(id, 1, own))), Optional.empty()));
            }
        }

        /** One round: a collector's own publish, then a fleet-layer publish reaching every sample collector. */
        void round(int n) {
            LayerMember member = members.get(n % members.size());
            ConfigDocument own = owns.get(n % owns.size());
            // As PublishConfigService: parse once, validate, decide, then merge with the other layers.
            ParseOutcome parsed = validator.parse(own);
            if (!(ConfigValidator.validate(parsed) instanceof Validation.Valid)) {
                throw new IllegalStateException("a built-in warm-up document is invalid");
            }
            PublishRequest request = new PublishRequest(member.id(), own, new Precondition.None(), actor, "",
                    new RevisionSource.Put(), at);
            if (ConfigHistory.decide(Optional.empty(), request) instanceof PublishResult.Published published) {
                LayerComposer.Session session = composer.warmUpSession();
                session.parsedAlready(own, parsed);
                expectOk(session.recompute(List.of(member.withOwn(published.revision())), before, at,
                        new LayerComposer.Capabilities(CapabilityMode.CHECK, ids -> Map.of())));
            }
            // As a fleet-layer publish: the layer validated alone, then every member recomputed with it.
            if (!(ConfigValidator.validate(composer.parse(fleet)) instanceof Validation.Valid)) {
                throw new IllegalStateException("a built-in warm-up layer is invalid");
            }
            LayerComposer.World after = before.withLayer(layer(new LayerId.Fleet(), 2, fleet));
            List<CollectorId> ids = members.stream().map(LayerMember::id).toList();
            expectOk(composer.warmUpSession().recompute(ids, page -> members, after, at,
                    new LayerComposer.Capabilities(CapabilityMode.FORCE, page -> Map.of())));
        }

        private void expectOk(LayerComposer.Recomputed recomputed) {
            if (!(recomputed instanceof LayerComposer.Ok)) {
                throw new IllegalStateException("the built-in warm-up layers do not merge: " + recomputed);
            }
        }

        private ConfigRevision revision(CollectorId id, int version, ConfigDocument doc) {
            return new ConfigRevision(id, new ConfigVersion(version), doc, doc.hash(), at, actor.name(), "",
                    new RevisionSource.Put());
        }

        private LayerRevision layer(LayerId id, int version, ConfigDocument doc) {
            return new LayerRevision(id, new ConfigVersion(version), doc, doc.hash(), at, actor.name(), "",
                    new RevisionSource.Put());
        }
    }
}
