package io.pgfleet.adapter.in.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** Time in HTTP headers (RFC 9110 IMF-fixdate) and in JSON (RFC 3339). */
final class HttpDates {

    /**
     * IMF-fixdate (RFC 9110 §5.6.7): a two-digit day, English names, GMT. The JDK's RFC 1123
     * formatter writes days 1–9 with one digit, which IMF-fixdate does not allow.
     */
    private static final DateTimeFormatter IMF =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

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

    /** A second and its header text. */
    private record Formatted(long epochSecond, String text) {
    }

    /**
     * The second formatted last: the revisions of one fleet or group change (thousands) share their
     * time, and the formatter's month and day names cost microseconds each time.
     */
    private static volatile Formatted last = new Formatted(Long.MIN_VALUE, "");

    static String header(Instant instant) {
        Formatted f = last;
        if (f.epochSecond() == instant.getEpochSecond()) {
            return f.text();
        }
        String text = IMF.format(instant.truncatedTo(ChronoUnit.SECONDS));
        last = new Formatted(instant.getEpochSecond(), text);
        return text;
    }

    static String json(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS).toString();
    }
}
