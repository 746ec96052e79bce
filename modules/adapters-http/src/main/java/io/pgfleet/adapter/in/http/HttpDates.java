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

    /**
     * RFC 3339's date-time (§5.6), with at most nine fractional digits (a nanosecond, finer than any
     * clock here): what {@link Instant#parse} takes beyond it — an hour 24 ({@code T24:00:00Z}, the
     * next day's midnight) and a fraction without digits ({@code 10:00:00.Z}) — is not RFC 3339, and
     * a client sending it means something this server would have to guess.
     */
    private static final java.util.regex.Pattern RFC_3339 = java.util.regex.Pattern.compile(
            "([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\\.[0-9]{1,9})?"
                    + "([Zz]|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))");

    /**
     * Reads an instant sent to the API: RFC 3339 ({@code T} and {@code Z} in either case, any offset
     * RFC 3339 writes, {@code -23:59} to {@code +23:59}, a leap second read as the second before it),
     * at most nine fractional digits, between the years 1 and 9999. Read here rather than by
     * {@link Instant#parse}, which takes offsets up to 18 hours only and checks a leap second against
     * the local time: it refused RFC 3339's own {@code 1990-12-31T15:59:60-08:00} and took
     * {@code 23:59:60+01:00}, which is no leap second.
     *
     * @param text the text
     * @return the instant
     * @throws IllegalArgumentException when it is not such an instant
     */
    static Instant parse(String text) {
        java.util.regex.Matcher m = text == null ? null : RFC_3339.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("not an RFC 3339 instant: " + text);
        }
        java.time.LocalDateTime local;
        try {
            // A day the month does not have is refused here.
            local = java.time.LocalDate.parse(m.group(1)).atTime(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Math.min(59, Integer.parseInt(m.group(4))), m.group(5) == null ? 0
                            : Integer.parseInt((m.group(5).substring(1) + "00000000").substring(0, 9)));
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("not an RFC 3339 instant: " + text, e);
        }
        int offset = m.group(7) == null ? 0
                : (m.group(7).equals("-") ? -1 : 1) * (Integer.parseInt(m.group(8)) * 3600 + Integer.parseInt(m.group(9)) * 60);
        Instant instant = local.toInstant(ZoneOffset.UTC).minusSeconds(offset);
        if (m.group(4).equals("60") && instant.atOffset(ZoneOffset.UTC).toLocalTime().toSecondOfDay() != 86_399) {
            // A leap second is inserted at the end of a UTC day, whatever the offset it is written in.
            throw new IllegalArgumentException("not an RFC 3339 instant (a leap second is 23:59:60 UTC): " + text);
        }
        return storable(instant);
    }

    /** What the API says of an instant it cannot read. */
    static final String INSTANT_RULE = "an RFC 3339 instant such as 2026-11-29T10:00:00Z or 2026-11-29T11:00:00.5+01:00"
            + " (hours 00-23, at most 9 fractional digits) between the years 1 and 9999";

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
