package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

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
}
