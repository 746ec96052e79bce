package io.pgfleet.adapter.in.http;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HttpDatesTest {

    @Test
    void headerDatesAreImfFixdatesOfTheirOwnSecondWhateverWasFormattedBefore() {
        assertEquals("Tue, 01 Dec 2026 08:00:00 GMT", HttpDates.header(Instant.parse("2026-12-01T08:00:00.250Z")));
        assertEquals("Tue, 01 Dec 2026 08:00:00 GMT", HttpDates.header(Instant.parse("2026-12-01T08:00:00.999Z")));
        assertEquals("Tue, 01 Dec 2026 08:00:01 GMT", HttpDates.header(Instant.parse("2026-12-01T08:00:01Z")));
        assertEquals("Mon, 30 Nov 2026 23:59:59 GMT", HttpDates.header(Instant.parse("2026-11-30T23:59:59.5Z")));
        assertEquals("Tue, 01 Dec 2026 08:00:01 GMT", HttpDates.header(Instant.parse("2026-12-01T08:00:01.100Z")));
    }
}
