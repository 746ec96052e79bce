package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryLayerStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.schema.ParseOutcome;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** A published document is parsed once: the merge with the layers uses the parse that validated it. */
class PublishParsesOnceTest {

    /** Counts the documents it parses. */
    private static final class CountingParser implements ParseConfigDocumentPort {
        final List<ConfigDocument> parsed = new ArrayList<>();
        private final LineParser delegate = new LineParser();

        @Override
        public synchronized ParseOutcome parse(ConfigDocument document) {
            parsed.add(document);
            return delegate.parse(document);
        }
    }

    @Test
    void aPublishedDocumentIsParsedOnce() {
        InMemoryLayerStore store = new InMemoryLayerStore().withCollector("one", Map.of());
        CountingParser parser = new CountingParser();
        PublishConfigService publish = new PublishConfigService(
                new LayeredOwnAppender(store, new LayerComposer(parser), s -> { }),
                new DocumentValidator(parser), Clock.fixed(Given.T0, ZoneOffset.UTC));
        for (int i = 1; i <= 3; i++) {
            PublishResult r = publish.publish(new PublishConfigCommand(CollectorId.of("one"), Given.document(i),
                    new Precondition.None(), Given.alice(), ""));
            assertInstanceOf(PublishResult.Published.class, r);
        }
        assertEquals(List.of(Given.document(1), Given.document(2), Given.document(3)), parser.parsed,
                "each document parsed once, to validate it");
        assertEquals(List.of("collector@3"), store.loadEffective(CollectorId.of("one")).orElseThrow().sources());
    }
}
