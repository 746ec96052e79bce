package io.pgfleet.agent.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the log says of repeated failures: the same refusal is one failure, whatever its request id. */
class OutageLogTest {

    private final List<String> said = new ArrayList<>();
    private final AtomicLong nanos = new AtomicLong();
    private final OutageLog log = new OutageLog(said::add, nanos::get, () -> Instant.parse("2026-12-03T14:00:00Z"));

    private static ServerException refused(String requestId) {
        return new ServerException(ServerException.Kind.UNAUTHORIZED, "registration refused: {\"type\":"
                + "\"https://pgfleet.io/problems/unauthorized\",\"title\":\"Registration refused\",\"status\":401,"
                + "\"detail\":\"the registration secret or enrolment token is not accepted\",\"request_id\":\""
                + requestId + "\"}", null);
    }

    @Test
    void theSameRefusalWithAnotherRequestIdIsARepeatCountedNotNewsSaidInFullAtEachAttempt() {
        // An enrolment token used already is refused at every attempt, each answer with a request id
        // of its own: each was taken for another kind of failure and said in full, some 7 lines in
        // the first minute where one is promised.
        for (int i = 0; i < 7; i++) {
            ServerException e = refused(java.util.UUID.randomUUID().toString());
            log.failed(OutageLog.Lane.PULL, e, "refused by the server (" + e.getMessage() + ")", "");
            nanos.addAndGet(Duration.ofSeconds(9).toNanos());
        }
        assertEquals(1, said.size(), String.join("\n", said));
        ServerException e = refused(java.util.UUID.randomUUID().toString());
        log.failed(OutageLog.Lane.PULL, e, "full", "");
        assertEquals(2, said.size(), String.join("\n", said));
        assertTrue(said.get(1).startsWith("the server has not been usable for 1 min: 8 pulls failed since 2026-12-03T14:00:00Z"),
                said.get(1));
    }
}
