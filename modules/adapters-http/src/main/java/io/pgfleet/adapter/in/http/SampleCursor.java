package io.pgfleet.adapter.in.http;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.SamplePosition;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The {@code after} cursor of a read of stored samples: the position of a page's last sample, with
 * the collector whose read it is. Opaque to clients (base64url of
 * {@code 1,<collector>,<µs since the epoch>,<name>,<batch id>,<labels digest>,<repeat>}: no part
 * holds a comma), and hostile input to the server: every part is checked before anything reaches
 * the database, and a cursor of another collector's read is refused, so a cursor never widens what
 * the route's access allows (a collector reads its own samples only, through its own id in the path).
 */
final class SampleCursor {

    /** The longest cursor taken: one the server gives is at most about 450 characters. */
    static final int MAX_LENGTH = 1024;
    private static final String VERSION = "1";
    private static final Pattern MICROS = Pattern.compile("-?[0-9]{1,18}");
    private static final Pattern COUNT = Pattern.compile("[0-9]{1,10}");
    /** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, the instants storage takes ({@link HttpDates#storable}). */
    private static final long MIN_MICROS = -62_135_596_800_000_000L;
    private static final long MAX_MICROS = 253_402_300_799_999_999L;

    private SampleCursor() {
    }

    /**
     * The cursor of a position in a collector's read.
     *
     * @param collectorId whose read
     * @param position    the position
     * @return the cursor, URL-safe as it is
     */
    static String of(CollectorId collectorId, SamplePosition position) {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, position.ts());
        String text = String.join(",", VERSION, collectorId.value(), Long.toString(micros), position.name(),
                position.batchId(), position.labelsDigest(), Integer.toString(position.repeat()));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The position a cursor names in the read of a collector.
     *
     * @param collectorId the collector whose samples are read (the path's)
     * @param cursor      the parameter's value
     * @return the position
     * @throws ApiException 400 naming the parameter, when the cursor is not one this server gives or
     *                      is one of another collector's read
     */
    static SamplePosition parse(CollectorId collectorId, String cursor) {
        if (cursor.length() > MAX_LENGTH) {
            throw refused("it is " + cursor.length() + " characters long, a cursor at most " + MAX_LENGTH);
        }
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw refused("it is not base64url");
        }
        String[] parts = text.split(",", -1);
        if (parts.length != 7 || !parts[0].equals(VERSION)) {
            throw refused("its content is not a cursor's");
        }
        if (!CollectorId.isValid(parts[1])) {
            throw refused("it names no collector");
        }
        if (!parts[1].equals(collectorId.value())) {
            throw new ApiException(Problem.badRequest("query parameter 'after' is a cursor of another collector's samples,"
                    + " not of " + collectorId + "'s: a cursor reads on the read that gave it"));
        }
        if (!MICROS.matcher(parts[2]).matches() || Long.parseLong(parts[2]) < MIN_MICROS
                || Long.parseLong(parts[2]) > MAX_MICROS) {
            throw refused("its time is not one a sample can have");
        }
        if (!COUNT.matcher(parts[6]).matches() || Long.parseLong(parts[6]) > Integer.MAX_VALUE) {
            throw refused("its count is not a number");
        }
        try {
            Instant ts = Instant.EPOCH.plus(Long.parseLong(parts[2]), ChronoUnit.MICROS);
            return new SamplePosition(ts, parts[3], parts[4], parts[5], Integer.parseInt(parts[6]));
        } catch (IllegalArgumentException | DateTimeException | ArithmeticException e) {
            throw refused(e.getMessage());
        }
    }

    private static ApiException refused(String why) {
        return new ApiException(Problem.badRequest("query parameter 'after' is not a cursor this server gave (" + why
                + "); read on with the 'next' or 'cursor' of an answer"));
    }
}
