package io.pgfleet.application.service;

import io.pgfleet.application.fake.Given;
import io.pgfleet.application.fake.InMemoryConfigStore;
import io.pgfleet.application.port.in.ProvisionCollectorCommand;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase.ProvisionResult;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.collector.CollectorId;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class ProvisionCollectorServiceTest {

    private final InMemoryConfigStore store = new InMemoryConfigStore();
    private final ProvisionCollectorService service = new ProvisionCollectorService(store, store,
            Clock.fixed(Given.T0, ZoneOffset.UTC));

    private ProvisionResult provision(String id, String name) {
        return service.provision(new ProvisionCollectorCommand(CollectorId.of(id), name, "", Map.of("env", "prod"),
                Given.alice()));
    }

    @Test
    void provisionsACollectorWithItsLabelsAndAnAuditEntry() {
        ProvisionResult.Provisioned p = assertInstanceOf(ProvisionResult.Provisioned.class, provision("db-01", "first"));
        assertEquals(Map.of("env", "prod"), p.collector().labels());
        assertEquals(Given.T0, p.collector().createdAt());
        assertEquals(AuditAction.COLLECTOR_CREATED, store.audit().getFirst().action());
    }

    @Test
    void provisioningAnExistingIdAnswersTheExistingCollectorAndChangesNothing() {
        provision("db-01", "first");
        ProvisionResult.AlreadyExists again = assertInstanceOf(ProvisionResult.AlreadyExists.class,
                provision("db-01", "second"));
        assertEquals("first", again.existing().name());
        assertEquals(1, store.audit().size());
    }
}
