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

    static String header(Instant instant) {
        return IMF.format(instant.truncatedTo(ChronoUnit.SECONDS));
    }

    static String json(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS).toString();
    }
}
