package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.DbTransaction;
import io.helidon.dbclient.DbRow;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.function.Function;
import java.util.function.Supplier;

/** Column conversions shared by the adapters. */
final class Rows {

    private Rows() {
    }

    static String text(DbRow row, String column) {
        return row.column(column).get(String.class);
    }

    static int integer(DbRow row, String column) {
        return ((Number) row.column(column).get()).intValue();
    }

    static Instant instant(DbRow row, String column) {
        Object v = row.column(column).get();
        if (v instanceof Timestamp t) {
            return instant(t);
        }
        if (v instanceof OffsetDateTime o) {
            return o.toInstant();
        }
        throw new IllegalStateException("column " + column + " is not a timestamp: " + v);
    }

    /** 1582-10-15T00:00:00Z, the first day of the Gregorian calendar in {@link java.util.GregorianCalendar}. */
    private static final long GREGORIAN_CUTOVER_MILLIS = -12_219_292_800_000L;

    /**
     * The instant of a {@code timestamptz} the driver handed over as a {@link Timestamp}. The driver
     * builds it with {@link java.util.GregorianCalendar}, which counts days before 1582-10-15 in the
     * Julian calendar, while PostgreSQL (and {@link Instant}) use the proleptic Gregorian calendar:
     * {@code toInstant()} would move 0001-01-01 to 0000-12-30 and 1000-03-01 to 1000-03-07. The
     * calendar fields in UTC are those PostgreSQL meant; they are read with the driver's calendar
     * and taken as proleptic Gregorian (UTC, not the JVM's zone, whose offsets before 1900 differ
     * between {@code java.util} and {@code java.time}). Later instants are converted directly.
     */
    static Instant instant(Timestamp t) {
        if (t.getTime() >= GREGORIAN_CUTOVER_MILLIS) {
            return t.toInstant();
        }
        java.util.GregorianCalendar julian = new java.util.GregorianCalendar(java.util.TimeZone.getTimeZone("UTC"));
        julian.setTimeInMillis(t.getTime());
        int year = julian.get(java.util.Calendar.ERA) == java.util.GregorianCalendar.BC
                ? 1 - julian.get(java.util.Calendar.YEAR) : julian.get(java.util.Calendar.YEAR);
        return java.time.LocalDateTime.of(year, julian.get(java.util.Calendar.MONTH) + 1, julian.get(java.util.Calendar.DAY_OF_MONTH),
                julian.get(java.util.Calendar.HOUR_OF_DAY), julian.get(java.util.Calendar.MINUTE), julian.get(java.util.Calendar.SECOND),
                t.getNanos()).toInstant(ZoneOffset.UTC);
    }

    static OffsetDateTime timestamp(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    /**
     * Runs a storage call, turning database failures into the port's exceptions: unavailable only
     * when the connection is the problem, rejected when the data is (see {@link StorageErrors}).
     */
    static <T> T guard(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (DbClientException e) {
            throw StorageErrors.classify(what, e);
        }
    }

    /** Runs work in a transaction: committed when it returns, rolled back when it throws. */
    static <T> T inTransaction(DbClient db, Function<DbTransaction, T> work) {
        return inTransaction(db, work, result -> true);
    }

    /**
     * Runs work in a transaction: committed when it returns a result worth keeping, rolled back when
     * it returns any other result or throws.
     */
    static <T> T inTransaction(DbClient db, Function<DbTransaction, T> work, java.util.function.Predicate<T> keep) {
        DbTransaction tx = db.transaction();
        T result;
        try {
            result = work.apply(tx);
        } catch (RuntimeException e) {
            try {
                tx.rollback();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        if (keep.test(result)) {
            tx.commit();
        } else {
            tx.rollback();
        }
        return result;
    }
}
