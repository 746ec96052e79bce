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

    @Test
    void anInstantTakesEveryOffsetRfc3339WritesAndALeapSecondOnlyAtTheEndOfAUtcDay() {
        assertEquals(Instant.parse("2026-01-01T10:01:00Z"), HttpDates.parse("2026-01-02T10:00:00+23:59"));
        assertEquals(Instant.parse("2026-01-02T09:59:00Z"), HttpDates.parse("2026-01-01T10:00:00-23:59"));
        assertEquals(Instant.parse("2026-01-01T10:00:00Z"), HttpDates.parse("2026-01-01t10:00:00-00:00"));
        assertEquals(Instant.parse("2026-01-01T09:00:00.000000001Z"), HttpDates.parse("2026-01-01T10:00:00.000000001+01:00"));
        // RFC 3339's own example (§5.8) of a leap second written in Pacific time, and the same in UTC.
        assertEquals(Instant.parse("1990-12-31T23:59:59Z"), HttpDates.parse("1990-12-31T15:59:60-08:00"));
        assertEquals(Instant.parse("9999-12-31T23:59:59Z"), HttpDates.parse("9999-12-31T23:59:60Z"));
        // 23:59:60 one hour east of UTC is 22:59:60 UTC: no leap second is ever there.
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HttpDates.parse("1990-12-31T23:59:60+01:00"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HttpDates.parse("2026-02-29T10:00:00Z"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HttpDates.parse("9999-12-31T23:59:59-00:01"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HttpDates.parse("0001-01-01T00:00:00+00:01"));
    }
}
