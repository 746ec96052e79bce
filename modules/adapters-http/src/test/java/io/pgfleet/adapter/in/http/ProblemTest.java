package io.pgfleet.adapter.in.http;

import io.helidon.http.Status;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProblemTest {

    @Test
    void aDetailQuotingARequestWholeIsCutToItsBoundAndSaysHowLongItWas() {
        String detail = "unknown field '" + "x".repeat(100_000) + "'";

        String shown = Problem.badRequest(detail).detail();

        assertTrue(shown.length() < Problem.MAX_DETAIL + 80, "bounded: " + shown.length());
        assertTrue(shown.startsWith("unknown field 'xxx"), shown.substring(0, 40));
        assertTrue(shown.endsWith("\u2026 (100016 characters in all; the rest is not shown)"),
                shown.substring(shown.length() - 80));
    }

    @Test
    void aDetailWithinTheBoundIsKeptWhole() {
        String detail = "d".repeat(Problem.MAX_DETAIL);

        assertEquals(detail, new Problem(Status.CONFLICT_409, ProblemType.VERSION_CONFLICT, "X", detail).detail());
    }
}
