package io.pgfleet.application.service;

import io.pgfleet.application.port.out.CheckDatabasePort;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Readiness costs at most one database check per second whatever the request rate: counted with a
 * probe, not timed.
 */
class HealthCachingTest {

    private final AtomicInteger checks = new AtomicInteger();

    private final CheckDatabasePort countingProbe = () -> {
        checks.incrementAndGet();
        return Optional.empty();
    };

    @Test
    void aBurstOfReadinessChecksFromManyThreadsCostsOneDatabaseCheck() throws InterruptedException {
        ApplicationServices services = new ApplicationServices(ports(countingProbe), Clock.systemUTC());
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            callers.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 100; i++) {
                    assertEquals(Optional.empty(), services.health().notReadyBecause());
                }
            }));
        }
        go.countDown();
        for (Thread t : callers) {
            t.join();
        }
        // 800 answers within well under a second of each other: one query (two if the burst straddles a second).
        assertEquals(true, checks.get() <= 2, "database checks for 800 readiness answers: " + checks.get());
    }

    @Test
    void aResultIsReusedForOneSecondThenCheckedAgain() {
        AtomicLong nanos = new AtomicLong(0);
        CachedHealth health = new CachedHealth(countingProbe, nanos::get);
        for (int i = 0; i < 50; i++) {
            health.notReadyBecause();
        }
        assertEquals(1, checks.get());
        nanos.addAndGet(CachedHealth.MAX_AGE_NANOS - 1);
        health.notReadyBecause();
        assertEquals(1, checks.get(), "still fresh just before a second");
        nanos.addAndGet(1);
        health.notReadyBecause();
        health.notReadyBecause();
        assertEquals(2, checks.get(), "checked again once a second has passed");
    }

    /** Every port inert except the database check: the health wiring is all this test looks at. */
    private static ApplicationServices.Ports ports(CheckDatabasePort database) {
        ApplicationServices.SecurityPorts security = new ApplicationServices.SecurityPorts(inert(
                io.pgfleet.application.port.out.AccessTokenPort.class),
                inert(io.pgfleet.application.port.out.SigningKeyStorePort.class),
                inert(io.pgfleet.application.port.out.RefreshTokenStorePort.class),
                inert(io.pgfleet.application.port.out.LoadUserPort.class),
                inert(io.pgfleet.application.port.out.SaveUserPort.class),
                inert(io.pgfleet.application.port.out.PasswordHasherPort.class),
                inert(io.pgfleet.application.port.out.ServerSecretPort.class),
                inert(io.pgfleet.application.port.out.EnrolmentTokenStorePort.class),
                SecuritySettings.defaults(),
                inert(io.pgfleet.application.port.out.RecordAuditPort.class));
        return new ApplicationServices.Ports(inert(io.pgfleet.application.port.out.LoadCollectorPort.class),
                inert(io.pgfleet.application.port.out.SaveCollectorPort.class),
                inert(io.pgfleet.application.port.out.LoadConfigRevisionPort.class),
                inert(io.pgfleet.application.port.out.AppendConfigRevisionPort.class),
                inert(io.pgfleet.application.port.out.LoadConfigHistoryPort.class),
                inert(io.pgfleet.application.port.out.LoadAuditTrailPort.class),
                inert(io.pgfleet.application.port.out.ParseConfigDocumentPort.class),
                security,
                inert(io.pgfleet.application.port.out.SaveApplyReportPort.class),
                inert(io.pgfleet.application.port.out.SaveSampleBatchPort.class),
                inert(io.pgfleet.application.port.out.LoadFleetPort.class),
                inert(io.pgfleet.application.port.out.ConfigChangeFeedPort.class),
                inert(io.pgfleet.application.port.out.RevokeCollectorPort.class),
                database);
    }

    /** A port that does nothing and returns nothing; only wiring calls reach it. */
    private static <T> T inert(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (proxy, method, args) ->
                switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "inert " + type.getSimpleName();
                    default -> method.getReturnType() == boolean.class ? false : null;
                }));
    }
}
