package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuthenticateQuery.Authentication;
import io.pgfleet.application.port.out.AccessTokenPort.TokenCheck;
import io.pgfleet.application.port.in.CallerWatchesUseCase;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeldWatchesOfCallersTest {

    /** A token's verdict for the principal, as an access token of an earlier release (no session) gives it. */
    private static TokenCheck.Valid of(Principal p) {
        return new TokenCheck.Valid(p, java.util.Optional.empty());
    }


    private static final Principal AGENT = new Principal("db-1", Role.COLLECTOR);
    private static final Principal OTHER_AGENT = new Principal("db-2", Role.COLLECTOR);
    private static final Principal VIEWER = new Principal("alice", Role.VIEWER);

    @Test
    void forgettingASubjectEndsItsHeldWatchesAndNoOneElses() {
        HeldWatchesOfCallers watches = new HeldWatchesOfCallers();
        ActivePrincipals active = new ActivePrincipals(watches);
        WatchHold agents = new WatchHold();
        WatchHold viewers = new WatchHold();
        WatchHold others = new WatchHold();
        watches.hold(AGENT, Optional.empty(), watches.mark(), agents);
        watches.hold(VIEWER, Optional.empty(), watches.mark(), viewers);
        watches.hold(OTHER_AGENT, Optional.empty(), watches.mark(), others);

        active.forget("db-1");
        active.forget("alice");

        assertTrue(agents.ended(), "a collector's watch");
        assertTrue(viewers.ended(), "a user's watch");
        assertFalse(others.ended());
    }

    @Test
    void anEndedSessionEndsTheWatchesHeldWithItsTokensAndNotThoseOfTheSubjectsOtherSessions() {
        HeldWatchesOfCallers watches = new HeldWatchesOfCallers();
        ActivePrincipals active = new ActivePrincipals(watches);
        TokenCheck.Valid other = new TokenCheck.Valid(VIEWER, Optional.of("session-2"));
        active.check(other, v -> new Authentication.Authenticated(v.principal(), v.session()));
        WatchHold ending = new WatchHold();
        WatchHold goingOn = new WatchHold();
        WatchHold noSession = new WatchHold();
        watches.hold(VIEWER, Optional.of("session-1"), watches.mark(), ending);
        watches.hold(VIEWER, Optional.of("session-2"), watches.mark(), goingOn);
        watches.hold(VIEWER, Optional.empty(), watches.mark(), noSession);

        active.sessionEnded("alice", "session-1");

        assertTrue(ending.ended(), "the watch of the ended session");
        assertFalse(goingOn.ended(), "another session's goes on");
        assertFalse(noSession.ended(), "a token of no session is not of that one");
        AtomicInteger lookups = new AtomicInteger();
        active.recheck(other, v -> {
            lookups.incrementAndGet();
            return new Authentication.Rejected("asked again");
        });
        assertEquals(0, lookups.get(), "what is known of the other session is kept");
    }

    @Test
    void aChangeHeardFromAnotherInstanceEndsTheWatchesAndIsLookedUpAgain() {
        HeldWatchesOfCallers watches = new HeldWatchesOfCallers();
        ActivePrincipals active = new ActivePrincipals(watches);
        active.check(of(AGENT), v -> new Authentication.Authenticated(v.principal()));
        WatchHold hold = new WatchHold();
        watches.hold(AGENT, Optional.empty(), watches.mark(), hold);

        active.principalChanged("db-1");

        assertTrue(hold.ended());
        assertInstanceOf(Authentication.Rejected.class, active.recheck(of(AGENT), p -> new Authentication.Rejected("revoked")),
                "the ended watch's second check asks the database, not the answer cached before the change");
    }

    @Test
    void aResyncEndsNoWatchButEveryCachedAnswerIsLookedUpAgain() {
        HeldWatchesOfCallers watches = new HeldWatchesOfCallers();
        ActivePrincipals active = new ActivePrincipals(watches);
        active.check(of(AGENT), v -> new Authentication.Authenticated(v.principal()));
        active.check(of(VIEWER), v -> new Authentication.Authenticated(v.principal()));
        WatchHold hold = new WatchHold();
        watches.hold(AGENT, Optional.empty(), watches.mark(), hold);

        active.resync();

        assertFalse(hold.ended());
        AtomicInteger lookups = new AtomicInteger();
        active.recheck(of(AGENT), p -> {
            lookups.incrementAndGet();
            return new Authentication.Authenticated(p.principal());
        });
        active.recheck(of(VIEWER), p -> {
            lookups.incrementAndGet();
            return new Authentication.Authenticated(p.principal());
        });
        assertEquals(2, lookups.get());
    }

    @Test
    void aHoldRegisteredAfterAChangeItsCallersCheckMayPredateEndsAtOnce() {
        HeldWatchesOfCallers watches = new HeldWatchesOfCallers();
        CallerWatchesUseCase.Mark checked = watches.mark();
        watches.changed("someone-else-or-the-same");
        WatchHold hold = new WatchHold();

        watches.hold(AGENT, Optional.empty(), checked, hold);

        assertTrue(hold.ended(), "the caller's check came before a change that the registration came after");
        WatchHold later = new WatchHold();
        watches.hold(AGENT, Optional.empty(), watches.mark(), later);
        assertFalse(later.ended(), "checked after the change");
    }

    @Test
    void nothingIsKeptOfASubjectWhoseWatchesHaveAnswered() {
        HeldWatchesOfCallers watches = new HeldWatchesOfCallers();
        CallerWatchesUseCase.Registration one = watches.hold(AGENT, Optional.empty(), watches.mark(), new WatchHold());
        CallerWatchesUseCase.Registration two = watches.hold(AGENT, Optional.empty(), watches.mark(), new WatchHold());
        CallerWatchesUseCase.Registration three = watches.hold(VIEWER, Optional.empty(), watches.mark(), new WatchHold());
        assertEquals(2, watches.subjects());

        one.close();
        assertEquals(2, watches.subjects(), "the agent still holds a watch");
        two.close();
        three.close();
        two.close();

        assertEquals(0, watches.subjects());
        watches.changed("db-1");
        assertEquals(0, watches.subjects(), "a change of a subject without watches keeps nothing either");
    }
}
