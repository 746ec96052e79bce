package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Announced own versions that the effective document already covers cost no recomputation. */
class OwnVersionReconcilerTest {

    private final InMemoryLayerStore store = new InMemoryLayerStore().withCollector("db-01", Map.of());
    private final Clock clock = Clock.fixed(Given.T0, ZoneOffset.UTC);
    private final LayerComposer composer = new LayerComposer(new LineParser());
    private final OwnVersionReconciler reconciler = new OwnVersionReconciler(store,
            new LayerChangeService(store, store, composer, (id, actor) -> true, s -> { }, clock));

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
}
