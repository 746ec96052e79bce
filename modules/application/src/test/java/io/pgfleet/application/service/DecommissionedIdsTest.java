package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.ExplainEffectiveQuery.ExplainResult;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.RevokeCollectorUseCase.RevokeResult;
import io.pgfleet.application.port.in.RollbackConfigCommand;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.layer.LayerChangeResult;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The per-collector services, constructed directly (not through {@link UseCaseFactory}), say
 * "decommissioned (at T)" themselves, beside "not found", whatever the request carries (an invalid
 * document, labels or version), and read the decommission time on a refusal's path only.
 */
class DecommissionedIdsTest {

    private static final CollectorId GONE = CollectorId.of("gone-1");
    private static final CollectorId LIVE = CollectorId.of("live-1");
    private static final CollectorId NEVER = CollectorId.of("never-1");
    private static final Instant AT = Given.T0;

    private final Clock clock = Clock.fixed(AT, ZoneOffset.UTC);
    private final LayerComposer composer = new LayerComposer(new LineParser());
    private final DocumentValidator validator = new DocumentValidator(new LineParser());
    private final InMemoryLayerStore store = new InMemoryLayerStore()
            .withCollector("gone-1", Map.of("env", "prod"))
            .withCollector("live-1", Map.of("env", "prod"));
    private final LayerChangeService layers = new LayerChangeService(store, store, composer, id -> { }, s -> { }, clock);
    private final PublishConfigService publish = new PublishConfigService(new LayeredOwnAppender(store, composer, s -> { }),
            validator, clock);

    private void decommissioned() {
        assertEquals(new LayerChangeResult.Done(0), layers.decommission(GONE, Given.alice()));
    }

    private PublishResult publish(CollectorId id, io.pgfleet.domain.config.ConfigDocument document) {
        return publish.publish(new PublishConfigCommand(id, document, new Precondition.None(), Given.alice(), ""));
    }

    @Test
    void aPublishToADecommissionedIdIsAnsweredGoneWhetherOrNotItsDocumentIsValid() {
        decommissioned();
        assertEquals(new PublishResult.Decommissioned(GONE, AT), publish(GONE, Given.document(10)));
        assertEquals(new PublishResult.Decommissioned(GONE, AT), publish(GONE, Given.invalidDocument()),
                "not 'invalid': no document can ever be published to it");

        assertEquals(new PublishResult.CollectorNotFound(NEVER), publish(NEVER, Given.document(10)));
        assertInstanceOf(PublishResult.Invalid.class, publish(NEVER, Given.invalidDocument()),
                "an unknown id is answered as before");
    }

    @Test
    void aLabelChangeDecommissionOrExplanationOfADecommissionedIdIsAnsweredGoneWhateverTheLabels() {
        decommissioned();
        assertEquals(new LayerChangeResult.Decommissioned(GONE, AT), layers.changeLabels(GONE, Map.of("env", "qa"),
                Given.alice()));
        assertEquals(new LayerChangeResult.Decommissioned(GONE, AT), layers.changeLabels(GONE,
                Map.of("not a label name", "x"), Given.alice()), "not a refusal of labels that can never be set");
        assertEquals(new LayerChangeResult.Decommissioned(GONE, AT), layers.decommission(GONE, Given.alice()));
        assertEquals(new ExplainResult.Decommissioned(GONE, AT), layers.explain(GONE));

        assertThrows(IllegalArgumentException.class, () -> layers.changeLabels(NEVER, Map.of("not a label name", "x"),
                Given.alice()));
        assertEquals(new LayerChangeResult.NotFound(), layers.changeLabels(NEVER, Map.of(), Given.alice()));
        assertEquals(new LayerChangeResult.NotFound(), layers.decommission(NEVER, Given.alice()));
        assertEquals(new ExplainResult.CollectorNotFound(NEVER), layers.explain(NEVER));
    }

    @Test
    void whatGoesThroughReadsNoDecommissionTime() {
        decommissioned();
        int before = store.decommissionReads();

        assertInstanceOf(PublishResult.Published.class, publish(LIVE, Given.document(10)));
        assertInstanceOf(LayerChangeResult.Done.class, layers.changeLabels(LIVE, Map.of("env", "qa"), Given.alice()));
        assertInstanceOf(ExplainResult.Explained.class, layers.explain(LIVE));
        assertInstanceOf(PublishResult.Invalid.class, publish(LIVE, Given.invalidDocument()),
                "a live collector's invalid document is refused as invalid");

        assertEquals(before + 1, store.decommissionReads(), "only the refused document asked, once");
    }

    /** Knows one decommissioned collector, and counts the reads of decommission times. */
    private static final class Collectors implements LoadCollectorPort {
        private final InMemoryConfigStore known;
        int decommissionReads;

        Collectors(InMemoryConfigStore known) {
            this.known = known;
        }

        @Override
        public Optional<Collector> loadCollector(CollectorId collectorId) {
            return known.loadCollector(collectorId);
        }

        @Override
        public Optional<Instant> loadDecommissionedAt(CollectorId collectorId) {
            decommissionReads++;
            return collectorId.equals(GONE) ? Optional.of(AT) : Optional.empty();
        }

        @Override
        public java.util.Optional<io.pgfleet.domain.collector.CollectorTombstone> loadTombstone(CollectorId collectorId) {
            return java.util.Optional.empty();
        }
    }

    private static PublishResult rollback(RollbackConfigService service, CollectorId id, int version) {
        return service.rollback(new RollbackConfigCommand(id, new ConfigVersion(version), new Precondition.None(),
                Given.alice(), ""));
    }

    @Test
    void aRollbackOfADecommissionedIdIsAnsweredGoneOnceWhateverTheVersionAskedFor() {
        InMemoryConfigStore config = new InMemoryConfigStore().with(Given.collector("gone-1")).with(Given.collector("live-1"));
        Collectors collectors = new Collectors(config);
        RollbackConfigService missing = new RollbackConfigService(collectors, config, config, validator, clock);

        assertEquals(new PublishResult.Decommissioned(GONE, AT), rollback(missing, GONE, 7));
        assertEquals(1, collectors.decommissionReads, "told apart in one place, with one read");
        assertEquals(new PublishResult.CollectorNotFound(NEVER), rollback(missing, NEVER, 7));
        assertEquals(new PublishResult.UnknownVersion(LIVE, new ConfigVersion(7)), rollback(missing, LIVE, 7));

        // A version today's schema refuses: a decommissioned id is gone before that is said.
        LoadConfigRevisionPort oldAndInvalid = new LoadConfigRevisionPort() {
            @Override
            public Optional<ConfigRevision> loadLatest(CollectorId collectorId) {
                return Optional.empty();
            }

            @Override
            public Optional<ConfigRevision> loadVersion(CollectorId collectorId, ConfigVersion version) {
                return Optional.of(new ConfigRevision(collectorId, version, Given.invalidDocument(),
                        ContentHash.of(Given.invalidDocument().text()), AT, "alice", "", new RevisionSource.Put()));
            }
        };
        RollbackConfigService invalid = new RollbackConfigService(collectors, oldAndInvalid, config, validator, clock);
        assertEquals(new PublishResult.Decommissioned(GONE, AT), rollback(invalid, GONE, 1));
        assertInstanceOf(PublishResult.Invalid.class, rollback(invalid, LIVE, 1));
        assertEquals(0, config.audit().size(), "nothing was stored");
    }

    @Test
    void aRevocationOfADecommissionedIdIsAnsweredGone() {
        Collectors collectors = new Collectors(new InMemoryConfigStore());
        RevokeCollectorService revoke = new RevokeCollectorService((id, at, audit) -> false,
                unused(RefreshTokenStorePort.class), clock, new ActivePrincipals(), collectors);

        assertEquals(new RevokeResult.Decommissioned(GONE, AT), revoke.revokeCollector(GONE, Given.alice()));
        assertEquals(new RevokeResult.CollectorNotFound(NEVER), revoke.revokeCollector(NEVER, Given.alice()));
    }

    private static <T> T unused(Class<T> port) {
        return port.cast(Proxy.newProxyInstance(port.getClassLoader(), new Class<?>[] {port}, (proxy, method, args) -> {
            throw new UnsupportedOperationException("a refused revocation never calls " + method.getName());
        }));
    }
}
