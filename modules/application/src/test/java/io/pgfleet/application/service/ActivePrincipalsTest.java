package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.application.port.out.AccessTokenPort.TokenCheck;
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

    /** A token's verdict for the principal, as an access token of an earlier release (no session) gives it. */
    private static TokenCheck.Valid of(Principal p) {
        return new TokenCheck.Valid(p, java.util.Optional.empty());
    }


    private static final Principal ALICE = new Principal("alice", Role.OPERATOR);

    @Test
    void aBurstOfRequestsCostsOneLookup() {
        ActivePrincipals active = new ActivePrincipals();
        AtomicInteger lookups = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            active.check(of(ALICE), p -> {
                lookups.incrementAndGet();
                return new Authentication.Authenticated(p.principal());
            });
        }
        assertEquals(1, lookups.get());
    }

    @Test
    void aForgottenSubjectIsLookedUpAgainAtOnce() {
        ActivePrincipals active = new ActivePrincipals();
        active.check(of(ALICE), v -> new Authentication.Authenticated(v.principal()));
        active.forget("alice");
        Authentication now = active.check(of(ALICE), p -> new Authentication.Rejected("disabled"));
        assertInstanceOf(Authentication.Rejected.class, now);
    }

    @Test
    void aWatchCheckedAgainAsksOnlyAboutSubjectsChangedHereMeanwhile() {
        ActivePrincipals active = new ActivePrincipals();
        AtomicInteger lookups = new AtomicInteger();
        java.util.function.Function<TokenCheck.Valid, Authentication> database = p -> {
            lookups.incrementAndGet();
            return new Authentication.Authenticated(p.principal());
        };
        List<Principal> watchers = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            watchers.add(new Principal("db-" + i, Role.COLLECTOR));
        }
        watchers.forEach(w -> active.check(of(w), database));
        assertEquals(1000, lookups.get(), "each watch was checked when it began");

        watchers.forEach(w -> assertInstanceOf(Authentication.Authenticated.class, active.recheck(of(w), database)));
        assertEquals(1000, lookups.get(), "waking them all asks the database nothing");

        active.forget("db-7");
        Authentication revoked = active.recheck(of(watchers.get(7)), p -> {
            lookups.incrementAndGet();
            return new Authentication.Rejected("collector db-7 is revoked or gone");
        });
        assertInstanceOf(Authentication.Rejected.class, revoked, "revoked here meanwhile: asked again");
        assertEquals(1001, lookups.get());
    }

    @Test
    void requestsArrivingTogetherShareOneLookup() throws Exception {
        ActivePrincipals active = new ActivePrincipals();
        AtomicInteger lookups = new AtomicInteger();
        CountDownLatch database = new CountDownLatch(1);
        CountDownLatch firstLookup = new CountDownLatch(1);
        java.util.function.Function<TokenCheck.Valid, Authentication> slow = p -> {
            lookups.incrementAndGet();
            firstLookup.countDown();
            try {
                database.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return new Authentication.Authenticated(p.principal());
        };
        List<Thread> requests = new ArrayList<>();
        List<Authentication> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        requests.add(Thread.ofVirtual().start(() -> answers.add(active.check(of(ALICE), slow))));
        assertTrue(firstLookup.await(1, TimeUnit.MINUTES));
        for (int i = 0; i < 50; i++) {
            requests.add(Thread.ofVirtual().start(() -> answers.add(active.check(of(ALICE), slow))));
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

    @Test
    void concurrentRequestsOfOneSubjectWaitForOneLookup() throws Exception {
        ActivePrincipals active = new ActivePrincipals();
        AtomicInteger lookups = new AtomicInteger();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.function.Function<TokenCheck.Valid, Authentication> slow = p -> {
            lookups.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Authentication.Authenticated(p.principal());
        };
        java.util.List<java.util.concurrent.CompletableFuture<Authentication>> answers = new java.util.ArrayList<>();
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            java.util.concurrent.CompletableFuture<Authentication> answer = new java.util.concurrent.CompletableFuture<>();
            answers.add(answer);
            threads.add(Thread.ofPlatform().start(() -> answer.complete(active.check(of(ALICE), slow))));
        }
        // Every request is parked: either in the one lookup or waiting for it.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (threads.stream().anyMatch(t -> t.getState() != Thread.State.WAITING) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        release.countDown();
        for (var a : answers) {
            assertInstanceOf(Authentication.Authenticated.class, a.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertEquals(1, lookups.get());
    }

    @Test
    void aFailedLookupFailsTheRequestsThatWaitedForIt() {
        ActivePrincipals active = new ActivePrincipals();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> active.check(of(ALICE), p -> {
            throw new IllegalStateException("database unreachable");
        }));
        // Nothing failed is remembered: the next request looks up again.
        assertInstanceOf(Authentication.Authenticated.class, active.check(of(ALICE), v -> new Authentication.Authenticated(v.principal())));
    }
}
