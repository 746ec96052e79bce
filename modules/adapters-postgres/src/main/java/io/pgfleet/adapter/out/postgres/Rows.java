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
