package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.pgfleet.application.port.out.SamplePartitionsPort;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The samples table's daily partitions (migration V26): created by the database function
 * {@code pgfleet_create_sample_partition}, which serialises concurrent instances and moves early
 * rows out of the catch-all partition; dropped one day per short transaction.
 */
public final class SamplePartitionsPersistenceAdapter implements SamplePartitionsPort {

    /** Only names this adapter created are ever dropped. */
    private static final Pattern DAY = Pattern.compile("samples_\\d{8}");

    private final DbClient db;

    SamplePartitionsPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public int createDays(LocalDate from, LocalDate until) {
        int created = 0;
        for (LocalDate d = from; !d.isAfter(until); d = d.plusDays(1)) {
            LocalDate day = d;
            boolean fresh = Rows.guard("creating the samples partition of " + day, () -> db.execute()
                    .get("SELECT pgfleet_create_sample_partition(?::date) AS created", day.toString())
                    .map(r -> r.column("created").get(Boolean.class)).orElse(false));
            if (fresh) {
                created++;
            }
        }
        return created;
    }

    @Override
    public Dropped dropDaysBefore(Instant cutoff) {
        // The day ends before the cutoff, and before yesterday by the database's own clock.
        List<String> expired = Rows.guard("listing expired samples partitions", () -> db.execute().query("""
                        SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                        WHERE i.inhparent = 'samples'::regclass AND c.relname ~ '^samples_[0-9]{8}$'
                          AND (to_date(substr(c.relname, 9), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= ?
                          AND to_date(substr(c.relname, 9), 'YYYYMMDD') <= (now() AT TIME ZONE 'UTC')::date - 2
                        ORDER BY 1""", Rows.timestamp(cutoff))
                .map(r -> Rows.text(r, "name")).toList());
        int partitions = 0;
        long samples = 0;
        for (String name : expired) {
            if (!DAY.matcher(name).matches()) {
                continue;
            }
            long rows = Rows.guard("dropping the samples partition " + name, () -> Rows.inTransaction(db, tx -> {
                // Dropping locks the whole samples table: give up after a few seconds rather than
                // queue every push behind a long read; the next run tries again.
                tx.dml("SET LOCAL lock_timeout = '5s'");
                if (tx.get("SELECT to_regclass(?) IS NOT NULL AS present", name)
                        .map(r -> !r.column("present").get(Boolean.class)).orElse(true)) {
                    return 0L; // another instance dropped it meanwhile
                }
                long n = tx.get("SELECT count(*) AS n FROM " + name).map(r -> ((Number) r.column("n").get()).longValue())
                        .orElse(0L);
                tx.dml("DROP TABLE " + name);
                return n;
            }));
            partitions++;
            samples += rows;
        }
        return new Dropped(partitions, samples);
    }
}
