package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishResult;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Long-poll semantics: at once when newer, woken by an announcement, the current answer on time-out. */
class WatchServiceTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");
    private static final Duration LONG = Duration.ofMinutes(5);

    private final InMemoryConfigStore store = new InMemoryConfigStore().with(Given.collector("db-01"));
    private final PublishConfigService publish = new PublishConfigService(store, new DocumentValidator(new LineParser()),
            Clock.fixed(Given.T0, ZoneOffset.UTC));
    private final WatchService watch = new WatchService(new GetConfigService(store, store));

    private int publish(int interval) {
        PublishResult r = publish.publish(new PublishConfigCommand(DB1, Given.document(interval), new Precondition.None(),
                Given.alice(), ""));
        return ((PublishResult.Published) r).revision().version().value();
    }

    @Test
    void answersAtOnceWhenANewerVersionExists() throws Exception {
        publish(10);
        ConfigLookup r = watch.awaitNewer(DB1, 0, LONG);
        assertEquals(1, ((ConfigLookup.Found) r).revision().version().value());
    }

    @Test
    void answersAnUnknownCollectorAtOnce() throws Exception {
        assertInstanceOf(ConfigLookup.CollectorNotFound.class, watch.awaitNewer(CollectorId.of("nobody"), 0, LONG));
    }

    @Test
    void aWatcherWithoutConfigurationIsWokenByTheFirstPublish() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> waiting = pool.submit(() -> watch.awaitNewer(DB1, 0, LONG));
            int version = publish(10);
            watch.published(DB1, new ConfigVersion(version));
            assertEquals(1, ((ConfigLookup.Found) waiting.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
    }

    @Test
    void anAnnouncementForAnotherCollectorDoesNotAnswer() throws Exception {
        publish(10);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ConfigLookup> waiting = pool.submit(() -> watch.awaitNewer(DB1, 1, LONG));
            watch.published(CollectorId.of("db-99"), new ConfigVersion(5));
            // A spurious wake-up on this collector re-reads, finds nothing newer and keeps waiting.
            watch.published(DB1, ConfigVersion.first());
            assertFalse(waiting.isDone());
            int v2 = publish(20);
            watch.resync();
            assertEquals(v2, ((ConfigLookup.Found) waiting.get(1, TimeUnit.MINUTES)).revision().version().value());
        }
    }

    @Test
    void answersTheCurrentStateWhenTheWaitEnds() throws Exception {
        assertInstanceOf(ConfigLookup.NoConfiguration.class, watch.awaitNewer(DB1, 0, Duration.ZERO));
        publish(10);
        ConfigLookup r = watch.awaitNewer(DB1, 1, Duration.ZERO);
        assertEquals(1, ((ConfigLookup.Found) r).revision().version().value());
    }
}
