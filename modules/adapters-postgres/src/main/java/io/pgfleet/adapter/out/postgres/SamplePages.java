package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.LoadFleetPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Reads one page of a collector's samples in the order of {@link SamplePosition}: time, metric
 * name, batch id, then the SHA-256 of the labels' stored JSON text; samples equal in all four are
 * ordered by that text and their value, and counted (the position's {@code repeat}).
 *
 * <p>The order follows the indexes of migration V40, {@code (collector_id, ts, name, batch_id)}
 * for every metric and {@code (collector_id, name, ts, batch_id)} for one: PostgreSQL walks one of
 * them from the position on (across the day partitions, merged in order) and sorts only the
 * samples of one batch with one name at one time by their labels — at most 1,000 since a batch
 * names a series once at a time and at most 1,000 series, at most 5,000 for samples stored before
 * that rule — never every sample sharing the time, which one collector can make as many as it
 * likes. The digest rather than the labels themselves is the last part of the position: labels
 * reach several KB, too large for an index entry and for a URL, and its bytes compare the same in
 * any collation.
 */
final class SamplePages {

    private SamplePages() {
    }

    /** The labels digest, as SQL; the same expression in the select list and the order, so computed once a row. */
    private static final String DIGEST = "sha256(convert_to(labels::text, 'UTF8'))";

    /**
     * The statement of one page. Its parameters, in order: the collector, the name (for one metric),
     * since; with a position, the position's time, name (for every metric), batch id and digest
     * (hex) for the samples equal to it in those four, then its repeat (how many of those to skip)
     * and the fetch limit; the same position again, for the samples after those; then the fetch
     * limit, the page's limit and the text bound.
     *
     * @param oneMetric whether the read is of one metric
     * @param after     whether it goes on after a position
     * @return the SQL
     */
    static String statement(boolean oneMetric, boolean after) {
        String filter = oneMetric ? "collector_id = ? AND name = ? AND ts >= ?" : "collector_id = ? AND ts >= ?";
        String order = (oneMetric ? "ts, batch_id, " : "ts, name, batch_id, ") + DIGEST + ", labels::text, value";
        String columns = "name, labels::text AS labels, batch_id, " + DIGEST + " AS digest, value, ts";
        // After a position: first the rest of the samples equal to it in time, name, batch and digest
        // (those past the first `repeat` of them, in the order of their labels and value), then those
        // after it. A row comparison on the index's own columns is an index condition; the plain
        // `ts >= ?` lets PostgreSQL skip the days before the position.
        String equal = after ? """
                (SELECT 0 AS part, %s FROM samples
                 WHERE %s AND ts = ?%s AND batch_id = ? AND %s = decode(?, 'hex')
                 ORDER BY labels::text, value OFFSET ? LIMIT ?)
                UNION ALL
                """.formatted(columns, filter, oneMetric ? "" : " AND name = ?", DIGEST) : "";
        String beyond = after
                ? " AND ts >= ? AND (" + (oneMetric ? "ts, batch_id, " : "ts, name, batch_id, ") + DIGEST + ") > (?, "
                        + (oneMetric ? "" : "?, ") + "?, decode(?, 'hex'))"
                : "";
        // One row past the limit says whether more follow. The page is cut in PostgreSQL at
        // MAX_SAMPLE_TEXT_BYTES of names and labels: only what fits reaches this instance's heap,
        // whatever a collector put in its labels.
        return """
                SELECT part, name, labels, batch_id, digest, value, ts, fetched FROM (
                    SELECT page.*, row_number() OVER w AS n,
                           sum(octet_length(name) + octet_length(labels)) OVER w AS upto,
                           count(*) OVER () AS fetched
                    FROM (
                        %s(SELECT 1 AS part, %s FROM samples
                         WHERE %s%s
                         ORDER BY %s LIMIT ?)) page
                    WINDOW w AS (ORDER BY part, ts, name, batch_id, digest, labels, value ROWS UNBOUNDED PRECEDING)) sized
                WHERE n <= ? AND (n = 1 OR upto <= ?) ORDER BY n""".formatted(equal, columns, filter, beyond, order);
    }

    /**
     * The parameters of {@link #statement}.
     */
    static Object[] parameters(CollectorId collectorId, String name, Instant since, Optional<SamplePosition> after,
                               int limit) {
        List<Object> p = new ArrayList<>();
        List<Object> filter = name.isEmpty() ? List.of(collectorId.value(), Rows.timestamp(since))
                : List.of(collectorId.value(), name, Rows.timestamp(since));
        if (after.isPresent()) {
            SamplePosition a = after.get();
            p.addAll(filter);
            p.add(Rows.timestamp(a.ts()));
            if (name.isEmpty()) {
                p.add(a.name());
            }
            p.addAll(List.of(a.batchId(), a.labelsDigest(), a.repeat(), limit + 1));
        }
        p.addAll(filter);
        if (after.isPresent()) {
            SamplePosition a = after.get();
            p.add(Rows.timestamp(a.ts()));
            p.add(Rows.timestamp(a.ts()));
            if (name.isEmpty()) {
                p.add(a.name());
            }
            p.addAll(List.of(a.batchId(), a.labelsDigest()));
        }
        p.addAll(List.of(limit + 1, limit, LoadFleetPort.MAX_SAMPLE_TEXT_BYTES));
        return p.toArray();
    }

    /**
     * One page.
     *
     * @see LoadFleetPort#loadSamples
     */
    static SamplePage load(DbClient db, CollectorId collectorId, String name, Instant since,
                           Optional<SamplePosition> after, int limit) {
        List<DbRow> rows = Rows.guard("loading samples", () -> db.execute()
                .query(statement(!name.isEmpty(), after.isPresent()), parameters(collectorId, name, since, after, limit))
                .toList());
        List<Sample> samples = new ArrayList<>(rows.size());
        Optional<SamplePosition> last = Optional.empty();
        long fetched = 0;
        // Count the samples equal in the four parts of a position; a page going on after a position
        // starts with those equal to it, which come after its own repeat.
        String previous = after.map(SamplePages::key).orElse("");
        int repeat = after.map(SamplePosition::repeat).orElse(0);
        for (DbRow r : rows) {
            Sample s = new Sample(Rows.text(r, "name"), CollectorPersistenceAdapter.labels(Rows.text(r, "labels")),
                    ((Number) r.column("value").get()).doubleValue(), Rows.instant(r, "ts"));
            SamplePosition at = new SamplePosition(s.ts(), s.name(), Rows.text(r, "batch_id"),
                    HexFormat.of().formatHex(r.column("digest").get(byte[].class)), 1);
            String key = key(at);
            repeat = key.equals(previous) ? repeat + 1 : 1;
            previous = key;
            samples.add(s);
            last = Optional.of(new SamplePosition(at.ts(), at.name(), at.batchId(), at.labelsDigest(), repeat));
            fetched = ((Number) r.column("fetched").get()).longValue();
        }
        return new SamplePage(samples, last, fetched > samples.size());
    }

    /** The four parts of a position that its repeat counts within. */
    private static String key(SamplePosition p) {
        return p.ts() + "\u0000" + p.name() + "\u0000" + p.batchId() + "\u0000" + p.labelsDigest();
    }
}
