package io.pgfleet.adapter.in.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Time in HTTP headers (RFC 9110 IMF-fixdate) and in JSON (RFC 3339). */
final class HttpDates {

    private static final DateTimeFormatter IMF = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private HttpDates() {
    }

    /** The earliest instant the API accepts: RFC 3339 has four-digit years, PostgreSQL stores these. */
    static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    /** The latest instant the API accepts. */
    static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    /**
     * An instant the database can store and RFC 3339 can write.
     *
     * @throws IllegalArgumentException outside the years 1 to 9999
     */
    static Instant storable(Instant instant) {
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            throw new IllegalArgumentException("instant outside the years 1 to 9999: " + instant);
        }
        return instant;
    }

    static String header(Instant instant) {
        return IMF.format(instant.truncatedTo(ChronoUnit.SECONDS));
    }

    static String json(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS).toString();
    }
}
