package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.layer.EffectiveRevision;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Announced own versions that the effective document already covers cost no recomputation. */
class OwnVersionReconcilerTest {

    private final InMemoryLayerStore store = new InMemoryLayerStore().withCollector("db-01", Map.of());
    private final Clock clock = Clock.fixed(Given.T0, ZoneOffset.UTC);
    private final LayerComposer composer = new LayerComposer(new LineParser());
    private final OwnVersionReconciler reconciler = new OwnVersionReconciler(store,
            new LayerChangeService(store, store, composer, id -> { }, s -> { }, clock));

    @Test
    void aVersionSupersededByALaterOneIsInStep() {
        PublishConfigService own = new PublishConfigService(new LayeredOwnAppender(store, composer, s -> { }),
                new DocumentValidator(new LineParser()), clock);
        for (int i = 1; i <= 3; i++) {
            assertInstanceOf(PublishResult.Published.class, own.publish(new PublishConfigCommand(CollectorId.of("db-01"),
                    Given.document(i), new Precondition.None(), Given.alice(), "")));
        }
        // Versions stored together are announced one by one; the effective document names the last.
        assertTrue(reconciler.inStep(CollectorId.of("db-01"), new ConfigVersion(2)), "version 2 is superseded by 3");
        assertTrue(reconciler.inStep(CollectorId.of("db-01"), new ConfigVersion(3)));
        assertFalse(reconciler.inStep(CollectorId.of("db-01"), new ConfigVersion(4)), "a version it does not name yet");
        reconciler.close();
    }

    @Test
    void aVersionTheRememberedRevisionNamesIsInStepWithoutReadingTheStore() {
        // The store has no effective revision for db-01: only the in-memory view can say "in step".
        EffectiveRevision remembered = revisionNaming(3);
        OwnVersionReconciler fromMemory = new OwnVersionReconciler(store,
                id -> id.equals(remembered.collectorId()) ? Optional.of(remembered) : Optional.empty(),
                new LayerChangeService(store, store, composer, id -> { }, s -> { }, clock));
        assertTrue(fromMemory.inStep(CollectorId.of("db-01"), new ConfigVersion(3)));
        assertTrue(fromMemory.inStep(CollectorId.of("db-01"), new ConfigVersion(2)), "an older own version too");
        assertFalse(fromMemory.inStep(CollectorId.of("db-01"), new ConfigVersion(4)),
                "a later own version than the remembered one is checked against the store");
        fromMemory.close();
    }

    @Test
    void anOutdatedRememberedRevisionFallsBackToTheStoredOne() {
        PublishConfigService own = new PublishConfigService(new LayeredOwnAppender(store, composer, s -> { }),
                new DocumentValidator(new LineParser()), clock);
        for (int i = 1; i <= 3; i++) {
            assertInstanceOf(PublishResult.Published.class, own.publish(new PublishConfigCommand(CollectorId.of("db-01"),
                    Given.document(i), new Precondition.None(), Given.alice(), "")));
        }
        EffectiveRevision outdated = revisionNaming(1);
        OwnVersionReconciler fromMemory = new OwnVersionReconciler(store, id -> Optional.of(outdated),
                new LayerChangeService(store, store, composer, id -> { }, s -> { }, clock));
        assertTrue(fromMemory.inStep(CollectorId.of("db-01"), new ConfigVersion(3)), "the stored revision names 3");
        fromMemory.close();
    }

    private static EffectiveRevision revisionNaming(int ownVersion) {
        ConfigDocument doc = Given.document(ownVersion);
        return new EffectiveRevision(CollectorId.of("db-01"), new ConfigVersion(ownVersion), doc, doc.hash(), "",
                List.of("fleet@1", "collector@" + ownVersion), Given.T0, 0);
    }
}
