package io.pgfleet.application.service;

import io.pgfleet.application.port.out.CheckDatabasePort;
import org.junit.jupiter.api.Test;

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
        CachedHealth health = new CachedHealth(countingProbe, System::nanoTime);
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
                    assertEquals(Optional.empty(), health.notReadyBecause());
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

    @Test
    void aCheckThatHangsAnswersNotReadyToEveryProbeWhileItStaysTheOnlyCheck() throws Exception {
        CountDownLatch databaseAnswers = new CountDownLatch(1);
        CheckDatabasePort hanging = () -> {
            checks.incrementAndGet();
            try {
                databaseAnswers.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty();
        };
        CachedHealth health = new CachedHealth(hanging, System::nanoTime, java.time.Duration.ofMillis(100),
                command -> Thread.ofVirtual().start(command));
        List<Thread> probes = new ArrayList<>();
        List<Optional<String>> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            probes.add(Thread.ofVirtual().start(() -> answers.add(health.notReadyBecause())));
        }
        for (Thread t : probes) {
            t.join();
        }
        answers.add(health.notReadyBecause());
        assertEquals(9, answers.size());
        for (Optional<String> answer : answers) {
            assertEquals(true, answer.orElse("").contains("has not answered the health check"), "answer: " + answer);
        }
        assertEquals(1, checks.get(), "the probes shared the one check in flight");

        databaseAnswers.countDown();
        // Each call waits for the check in flight (at most 100 ms): the first after it ends says ready.
        Optional<String> answer = health.notReadyBecause();
        for (int i = 0; i < 600 && answer.isPresent(); i++) {
            answer = health.notReadyBecause();
        }
        assertEquals(Optional.empty(), answer, "ready once the database answers");
        assertEquals(1, checks.get(), "the answer of the check that hung is used");
    }
}
