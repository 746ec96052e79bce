package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivePrincipalsTest {

    private static final Principal ALICE = new Principal("alice", Role.OPERATOR);

    @Test
    void aBurstOfRequestsCostsOneLookup() {
        ActivePrincipals active = new ActivePrincipals();
        AtomicInteger lookups = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            active.check(ALICE, p -> {
                lookups.incrementAndGet();
                return new Authentication.Authenticated(p);
            });
        }
        assertEquals(1, lookups.get());
    }

    @Test
    void aForgottenSubjectIsLookedUpAgainAtOnce() {
        ActivePrincipals active = new ActivePrincipals();
        active.check(ALICE, Authentication.Authenticated::new);
        active.forget("alice");
        Authentication now = active.check(ALICE, p -> new Authentication.Rejected("disabled"));
        assertInstanceOf(Authentication.Rejected.class, now);
    }

    @Test
    void requestsArrivingTogetherShareOneLookup() throws Exception {
        ActivePrincipals active = new ActivePrincipals();
        AtomicInteger lookups = new AtomicInteger();
        CountDownLatch database = new CountDownLatch(1);
        CountDownLatch firstLookup = new CountDownLatch(1);
        java.util.function.Function<Principal, Authentication> slow = p -> {
            lookups.incrementAndGet();
            firstLookup.countDown();
            try {
                database.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return new Authentication.Authenticated(p);
        };
        List<Thread> requests = new ArrayList<>();
        List<Authentication> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        requests.add(Thread.ofVirtual().start(() -> answers.add(active.check(ALICE, slow))));
        assertTrue(firstLookup.await(1, TimeUnit.MINUTES));
        for (int i = 0; i < 50; i++) {
            requests.add(Thread.ofVirtual().start(() -> answers.add(active.check(ALICE, slow))));
        }
        // Every request is waiting (for the shared lookup, or on a lookup of its own) before the database answers.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (requests.stream().anyMatch(t -> t.getState() != Thread.State.WAITING) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        database.countDown();
        for (Thread t : requests) {
            t.join(Duration.ofMinutes(1));
        }
        assertEquals(51, answers.size());
        answers.forEach(a -> assertInstanceOf(Authentication.Authenticated.class, a));
        assertEquals(1, lookups.get(), "one lookup for 51 requests that found no fresh answer");
    }
}
