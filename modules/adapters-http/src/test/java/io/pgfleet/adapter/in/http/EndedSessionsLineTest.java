package io.pgfleet.adapter.in.http;

import io.pgfleet.application.port.in.TokenResult;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EndedSessionsLineTest {

    @Test
    void oneEndedSessionIsNamed() {
        assertEquals("session s-1 of alice ended: a login began another past sessions_per_user, and the oldest ends",
                AuthHttpService.endedSessionsLine(List.of(new TokenResult.EndedSession("alice", "s-1"))));
    }

    @Test
    void manyEndedSessionsAreCountedInOneLineThatNamesTheFirstFew() {
        List<TokenResult.EndedSession> ended = IntStream.rangeClosed(1, 9_999)
                .mapToObj(i -> new TokenResult.EndedSession("alice", "s-" + i)).toList();
        assertEquals("9999 sessions of alice ended: a login began another past sessions_per_user, which is lower than the"
                        + " sessions the user held, and the oldest end: s-1, s-2, s-3, s-4, s-5 and 9994 more (the audit names each)",
                AuthHttpService.endedSessionsLine(ended));
    }
}
