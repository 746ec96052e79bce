package io.pgfleet.toml;

import io.pgfleet.application.port.out.DocumentParsingBusyException;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.schema.ParseOutcome;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BoundedDocumentParserTest {

    private static final ConfigDocument DOC = new ConfigDocument("[collector]\n");

    @Test
    void aDocumentBeyondTheSlotsAndTheQueueIsRefusedAtOnceAndTheWaitingOneIsParsedWhenASlotFrees() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TomlDocumentParser toml = new TomlDocumentParser();
        BoundedDocumentParser bounded = new BoundedDocumentParser(d -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return toml.parse(d);
        }, 1, 1);
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ParseOutcome> first = callers.submit(() -> bounded.parse(DOC));
            inside.await();
            Future<ParseOutcome> second = callers.submit(() -> bounded.parse(DOC));
            // The second caller takes the one queue place; wait until it is there.
            while (!bounded.hasQueuedCallers()) {
                Thread.onSpinWait();
            }
            assertThrows(DocumentParsingBusyException.class, () -> bounded.parse(DOC));
            assertEquals(1, bounded.refused());
            release.countDown();
            assertInstanceOf(ParseOutcome.Parsed.class, first.get());
            assertInstanceOf(ParseOutcome.Parsed.class, second.get());
        }
        assertEquals(1, bounded.peak());
        assertEquals(0, bounded.running());
    }
}
