package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClientException;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.StorageUnavailableException;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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
            return t.toInstant();
        }
        if (v instanceof OffsetDateTime o) {
            return o.toInstant();
        }
        throw new IllegalStateException("column " + column + " is not a timestamp: " + v);
    }

    static OffsetDateTime timestamp(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    /** Runs a storage call, turning database failures into the port's exception. */
    static <T> T guard(String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (DbClientException e) {
            throw new StorageUnavailableException(what + " failed: " + e.getMessage(), e);
        }
    }
}
