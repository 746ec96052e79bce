package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.RollbackConfigCommand;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class RollbackConfigServiceTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");

    private final InMemoryConfigStore store = new InMemoryConfigStore().with(Given.collector("db-01"));
    private final DocumentValidator validator = new DocumentValidator(new LineParser());
    private final Clock clock = Clock.fixed(Given.T0, ZoneOffset.UTC);
    private final PublishConfigService publish = new PublishConfigService(store, validator, clock);
    private final RollbackConfigService rollback = new RollbackConfigService(store, store, store, validator, clock);

    private PublishResult rollbackTo(int version, Precondition precondition) {
        return rollback.rollback(new RollbackConfigCommand(DB1, new ConfigVersion(version), precondition,
                Given.alice(), "bad change"));
    }

    private void publishVersions(int count) {
        for (int i = 1; i <= count; i++) {
            publish.publish(new PublishConfigCommand(DB1, Given.document(i * 10), new Precondition.None(), Given.alice(), ""));
        }
    }

    @Test
    void rollsBackAsANewVersionWithTheOldDocument() {
        publishVersions(2);

        PublishResult.Published p = assertInstanceOf(PublishResult.Published.class, rollbackTo(1, new Precondition.None()));

        assertEquals(3, p.revision().version().value());
        assertEquals(Given.document(10), p.revision().document());
        assertEquals(new RevisionSource.Rollback(new ConfigVersion(1)), p.revision().source());
        assertEquals(3, store.audit().size());
    }

    @Test
    void rollingBackToTheLatestDocumentChangesNothing() {
        publishVersions(2);
        assertInstanceOf(PublishResult.Unchanged.class, rollbackTo(2, new Precondition.None()));
        assertEquals(2, store.revisionsOf(DB1).size());
    }

    @Test
    void honoursIfMatch() {
        publishVersions(2);
        var v1Tag = store.revisionsOf(DB1).getFirst().entityTag();
        assertInstanceOf(PublishResult.VersionConflict.class,
                rollbackTo(1, new Precondition.MatchesOneOf(List.of(v1Tag))));
        assertEquals(2, store.revisionsOf(DB1).size());
    }

    @Test
    void tellsAnUnknownVersionFromAnUnknownCollector() {
        publishVersions(1);
        assertInstanceOf(PublishResult.UnknownVersion.class, rollbackTo(7, new Precondition.None()));
        PublishResult nobody = rollback.rollback(new RollbackConfigCommand(CollectorId.of("nobody"), new ConfigVersion(1),
                new Precondition.None(), Given.alice(), ""));
        assertInstanceOf(PublishResult.CollectorNotFound.class, nobody);
        assertEquals(1, store.audit().size());
    }

    @Test
    void aDecommissionedCollectorIsToldApartFromAnUnknownOneWhenTheVersionIsMissing() {
        java.time.Instant at = Given.T0.plusSeconds(5);
        LoadCollectorPort decommissioned = new LoadCollectorPort() {
            @Override
            public java.util.Optional<io.pgfleet.domain.collector.Collector> loadCollector(CollectorId id) {
                return store.loadCollector(id);
            }

            @Override
            public java.util.Optional<java.time.Instant> loadDecommissionedAt(CollectorId id) {
                return id.equals(DB1) ? java.util.Optional.of(at) : java.util.Optional.empty();
            }

            @Override
            public java.util.Optional<io.pgfleet.domain.collector.CollectorTombstone> loadTombstone(CollectorId collectorId) {
                return java.util.Optional.empty();
            }
        };
        RollbackConfigService ofGone = new RollbackConfigService(decommissioned, store, store, validator, clock);

        assertEquals(new PublishResult.Decommissioned(DB1, at), ofGone.rollback(new RollbackConfigCommand(DB1,
                new ConfigVersion(7), new Precondition.None(), Given.alice(), "")));
        assertEquals(0, store.audit().size());
    }
}
