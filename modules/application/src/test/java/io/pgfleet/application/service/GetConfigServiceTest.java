package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.fake.LineParser;
import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.ConfigHistoryQuery.HistoryLookup;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading configurations: latest, one version, history pages. */
class GetConfigServiceTest {

    private static final CollectorId DB1 = CollectorId.of("db-01");

    private final InMemoryConfigStore store = new InMemoryConfigStore().with(Given.collector("db-01"))
            .with(Given.collector("db-02"));
    private final GetConfigService get = new GetConfigService(store, store);
    private final ConfigHistoryService history = new ConfigHistoryService(store, store);

    private void publishVersions(int count) {
        PublishConfigService publish = new PublishConfigService(store, new DocumentValidator(new LineParser()),
                Clock.fixed(Given.T0, ZoneOffset.UTC));
        for (int i = 1; i <= count; i++) {
            publish.publish(new PublishConfigCommand(DB1, Given.document(i), new Precondition.None(), Given.alice(), ""));
        }
    }

    @Test
    void tellsNoConfigurationFromNoCollector() {
        assertInstanceOf(ConfigLookup.NoConfiguration.class, get.latest(CollectorId.of("db-02")));
        assertInstanceOf(ConfigLookup.CollectorNotFound.class, get.latest(CollectorId.of("nobody")));
        assertInstanceOf(ConfigLookup.CollectorNotFound.class, get.version(CollectorId.of("nobody"), ConfigVersion.first()));
    }

    @Test
    void answersTheLatestAndAnyEarlierVersion() {
        publishVersions(3);
        assertEquals(3, ((ConfigLookup.Found) get.latest(DB1)).revision().version().value());
        ConfigRevision v2 = ((ConfigLookup.Found) get.version(DB1, new ConfigVersion(2))).revision();
        assertEquals(Given.document(2), v2.document());
        assertInstanceOf(ConfigLookup.VersionNotFound.class, get.version(DB1, new ConfigVersion(4)));
    }

    @Test
    void pagesHistoryNewestFirstAndSaysWhetherMoreExists() {
        publishVersions(5);

        HistoryLookup.Page first = assertInstanceOf(HistoryLookup.Page.class, history.history(DB1, ConfigHistoryQuery.NEWEST, 2));
        assertEquals(5, first.revisions().get(0).version().value());
        assertEquals(4, first.revisions().get(1).version().value());
        assertTrue(first.more());

        HistoryLookup.Page last = (HistoryLookup.Page) history.history(DB1, new ConfigVersion(2), 2);
        assertEquals(1, last.revisions().size());
        assertFalse(last.more());
    }

    @Test
    void historyOfAnUnknownCollectorIsNotAnEmptyPage() {
        assertInstanceOf(HistoryLookup.CollectorNotFound.class, history.history(CollectorId.of("nobody"), new ConfigVersion(10), 10));
        assertInstanceOf(HistoryLookup.Page.class, history.history(CollectorId.of("db-02"), new ConfigVersion(10), 10));
    }

    @Test
    void refusesPagesOutsideTheLimits() {
        assertThrows(IllegalArgumentException.class, () -> history.history(DB1, new ConfigVersion(10), 0));
        assertThrows(IllegalArgumentException.class, () -> history.history(DB1, new ConfigVersion(10), ConfigHistoryQuery.MAX_PAGE + 1));
        assertThrows(IllegalArgumentException.class, () -> new ConfigVersion(0), "'before' is a version");
    }
}
