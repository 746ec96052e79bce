package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.EntityTag;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PublishConfigServiceTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");

    private final InMemoryConfigStore store = new InMemoryConfigStore().with(Given.collector("db-01"));
    private final PublishConfigService service = new PublishConfigService(store, new DocumentValidator(new LineParser()),
            Clock.fixed(Given.T0, ZoneOffset.UTC));

    private PublishResult publish(ConfigDocument document, Precondition precondition) {
        return service.publish(new PublishConfigCommand(DB1, document, precondition, Given.alice(), "why"));
    }

    @Test
    void publishesVersionsOneTwoThreeWithAuthorMessageAndAudit() {
        for (int i = 1; i <= 3; i++) {
            PublishResult r = publish(Given.document(i * 10), new Precondition.None());
            PublishResult.Published p = assertInstanceOf(PublishResult.Published.class, r);
            assertEquals(i, p.revision().version().value());
            assertEquals("alice", p.revision().createdBy());
            assertEquals("why", p.revision().message());
            assertInstanceOf(RevisionSource.Put.class, p.revision().source());
            assertEquals(Given.T0, p.revision().createdAt());
        }
        assertEquals(3, store.revisionsOf(DB1).size());
        assertEquals(3, store.audit().size());
    }

    @Test
    void publishingTheLatestDocumentAgainChangesNothing() {
        publish(Given.document(10), new Precondition.None());
        PublishResult again = publish(Given.document(10), new Precondition.None());
        assertEquals(1, assertInstanceOf(PublishResult.Unchanged.class, again).latest().version().value());
        assertEquals(1, store.revisionsOf(DB1).size());
        assertEquals(1, store.audit().size());
    }

    @Test
    void rejectsPublishWhenIfMatchIsStale() {
        PublishResult.Published first = (PublishResult.Published) publish(Given.document(10), new Precondition.None());
        EntityTag seen = first.revision().entityTag();
        publish(Given.document(20), new Precondition.MatchesOneOf(List.of(seen)));

        PublishResult stale = publish(Given.document(30), new Precondition.MatchesOneOf(List.of(seen)));

        PublishResult.VersionConflict conflict = assertInstanceOf(PublishResult.VersionConflict.class, stale);
        assertEquals(2, conflict.current().orElseThrow().version().value());
        assertEquals(2, store.revisionsOf(DB1).size());
        assertEquals(2, store.audit().size());
    }

    @Test
    void ifMatchStarNeedsAnExistingVersion() {
        assertInstanceOf(PublishResult.VersionConflict.class, publish(Given.document(10), new Precondition.AnyExisting()));
        assertTrue(store.revisionsOf(DB1).isEmpty());
    }

    @Test
    void refusesAnInvalidDocumentWithItsErrorsAndStoresNothing() {
        PublishResult r = publish(Given.invalidDocument(), new Precondition.None());

        PublishResult.Invalid invalid = assertInstanceOf(PublishResult.Invalid.class, r);
        assertFalse(invalid.errors().isEmpty());
        assertTrue(invalid.errors().stream().anyMatch(e -> e.key().equals("collector.push_interval")), invalid.errors()::toString);
        assertTrue(store.revisionsOf(DB1).isEmpty());
        assertTrue(store.audit().isEmpty());
    }

    @Test
    void refusesAnUnknownCollector() {
        PublishResult r = service.publish(new PublishConfigCommand(CollectorId.of("nobody"), Given.document(10),
                new Precondition.None(), Given.alice(), ""));
        assertInstanceOf(PublishResult.CollectorNotFound.class, r);
        assertTrue(store.audit().isEmpty());
    }
}
