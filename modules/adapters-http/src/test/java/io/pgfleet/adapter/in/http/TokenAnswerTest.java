package io.pgfleet.adapter.in.http;

import io.pgfleet.application.port.in.TokenPair;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a login, refresh or registration answer tells of its tokens' time. */
class TokenAnswerTest {

    @Test
    void expiresInIsTheTokensLifetimeWhateverThisHostsClockSays() {
        // Issued on the database's clock, which the server tells; this host's clock is ten minutes
        // away from it either way. The console refreshes by expires_in: told from this host's clock,
        // it would refresh ten minutes after the token expired, or every few seconds.
        for (Duration skew : new Duration[] {Duration.ofMinutes(10), Duration.ofMinutes(-10)}) {
            Instant issued = Instant.now().plus(skew);
            TokenPair pair = new TokenPair(new Principal("admin", Role.ADMIN), "access", issued,
                    issued.plus(Duration.ofMinutes(15)), "refresh");
            JsonObject answer = AuthHttpService.tokens(pair).build();
            assertEquals(900, answer.getJsonNumber("expires_in").longValue(), "database " + skew + " from this host");
            assertEquals(HttpDates.json(issued.plus(Duration.ofMinutes(15))), answer.getString("expires_at"));
        }
    }
}
