package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.application.port.out.CountFleetPort;
import io.pgfleet.application.port.out.LoadFleetPort;
import io.pgfleet.application.port.out.RestoredMarksPort;
import io.pgfleet.application.port.out.SaveApplyReportPort;
import io.pgfleet.application.port.out.SaveSampleBatchPort;
import io.pgfleet.application.port.out.StorageBusyException;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.fleet.ApplyReport;
import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.FleetCounts;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.LeftBehind;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.SampleBatch;
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Apply reports, sample batches, the fleet view and its counts.
 */
public final class FleetPersistenceAdapter implements SaveApplyReportPort, SaveSampleBatchPort, LoadFleetPort,
        CountFleetPort, RestoredMarksPort {

    /**
     * The rolled-back rollouts that could leave members behind, as a common table {@code held}: a
     * rollback that could not take every member back (not_rolled_back_total > 0, few rollouts) left
     * those on revisions composed from its staged version until their own documents are fixed. One
     * row per staged source ({@code fleet@12}, {@code group/eu@3}, as an effective revision's sources
     * name it) with the latest such rollout. Read once per statement and matched to each collector's
     * own sources by equality (a hash of this small set), instead of every rolled-back rollout being
     * tried against every collector: that grew with rollouts times collectors on every scrape.
     */
    private static final String HELD = """
            held AS MATERIALIZED (
                SELECT r.layer || '@' || r.staged_version AS source, max(r.id) AS rollout FROM rollouts r
                WHERE r.state = 'rolled_back' AND r.not_rolled_back_total > 0
                GROUP BY r.layer, r.staged_version)""";

    /*
     * The sources of the collector's effective revision e, one per row: the stored text joined by
     * ", " (LayerPersistenceAdapter.sources); layer names and versions hold neither a comma nor a
     * space, so a source matches exactly where the text names it.
     */
    private static final String SOURCES = "unnest(string_to_array(e.sources, ', ')) AS t(source)";

    /*
     * The fleet's counts in one row: each condition is the one loadFleet() reads per collector
     * (hash_agrees, stale, from_backup, latest and applied versions), so the counts mean what FleetCounts.of
     * computes over the fleet view, without sending (and mapping) a row per collector.
     */
    private static final String COUNT_QUERY = """
            WITH %s
            SELECT count(*) FILTER (WHERE revoked) AS revoked,
                   count(*) FILTER (WHERE NOT revoked AND seen AND in_sync) AS in_sync,
                   count(*) FILTER (WHERE NOT revoked AND seen AND NOT in_sync) AS out_of_sync,
                   count(*) FILTER (WHERE NOT revoked AND stale) AS stale,
                   count(*) FILTER (WHERE NOT revoked AND NOT seen) AS never_seen,
                   count(*) FILTER (WHERE NOT revoked AND last_status = 'APPLIED') AS applied,
                   count(*) FILTER (WHERE NOT revoked AND last_status = 'FAILED') AS failed,
                   count(*) FILTER (WHERE NOT revoked AND last_status IS NULL) AS no_report,
                   count(*) FILTER (WHERE NOT revoked AND left_behind) AS left_behind
            FROM (SELECT c.revoked_at IS NOT NULL AS revoked, c.last_seen_at IS NOT NULL AS seen,
                         (coalesce(e.revision, 0) = 0
                             OR coalesce(s.applied_version, 0) = e.revision
                                AND (s.effective_sha256 IS NULL OR e.effective_sha256 IS NULL
                                     OR s.effective_sha256 = e.effective_sha256))
                             AND c.restored_at IS NULL AS in_sync,
                         (c.last_seen_at IS NOT NULL AND c.last_seen_at
                             < now() - make_interval(secs => 3 * coalesce(e.pull_interval_s, 300))) AS stale,
                         s.last_status,
                         EXISTS (SELECT 1 FROM %s WHERE t.source IN (SELECT h.source FROM held h)) AS left_behind
                  FROM collectors c LEFT JOIN collector_status s ON s.collector_id = c.id
                  LEFT JOIN effective_configs e ON e.collector_id = c.id
                  WHERE c.decommissioned_at IS NULL) m""".formatted(HELD, SOURCES);

    /** How long a push waits for one of the connections sample ingest may take: the pool's own wait. */
    static final long INGEST_WAIT_MILLIS = 5_000;

    private final DbClient db;
    /*
     * Sample ingest takes at most half of the pool's connections at once. A fleet returning from an
     * outage sends its whole backlog within about a minute; without a bound its pushes took every
     * connection for as long as it lasted, and an operator's login, a publish, the agents' status
     * reports and configuration reads waited the pool's whole wait and were refused with 429
     * (measured: an hour-long outage of the server tier, 100 agents, admin login refused 36 s after
     * the return). Pushes beyond the bound are refused the same way and retried by their agents,
     * which keep the batch, so the backlog is taken at the rate the other half leaves free.
     */
    private final Semaphore ingest;
    private final int ingestConnections;

    FleetPersistenceAdapter(DbClient db, int poolSize) {
        this.db = db;
        this.ingestConnections = ingestConnections(poolSize);
        this.ingest = new Semaphore(ingestConnections, true);
    }

    /**
     * The connections sample ingest may hold at once: half the pool, at least one.
     *
     * @param poolSize the pool's size
     * @return the bound
     */
    static int ingestConnections(int poolSize) {
        return Math.max(1, poolSize / 2);
    }

    @Override
    public Receipt saveApplyReport(ApplyReport r) {
        return Rows.guard("saving an apply report", () -> Rows.inTransaction(db, tx -> {
            // The collector's row is locked first (as a publish locks it), so the latest revision read
            // next is the one the report is stored against. A report is for a revision the agent read,
            // which was committed before it could be read: one above the latest never existed here.
            long seen = tx.update("UPDATE collectors SET last_seen_at = ?, restored_at = NULL WHERE id = ?",
                    Rows.timestamp(r.reportedAt()), r.collectorId().value());
            if (seen == 0) {
                return new Receipt.CollectorNotFound();
            }
            int latest = tx.get("SELECT coalesce(max(revision), 0) AS latest FROM effective_configs WHERE collector_id = ?",
                    r.collectorId().value()).map(row -> Rows.integer(row, "latest")).orElse(0);
            if (r.version() > latest) {
                return new Receipt.UnknownRevision(latest);
            }
            tx.insert("""
                            INSERT INTO collector_status AS s (collector_id, applied_version, last_attempted, last_status,
                                                               last_error, effective_sha256, reported_at, allow_lists,
                                                               agent_version, facts)
                            VALUES (?, CASE WHEN ? = 'APPLIED' THEN ? ELSE 0 END, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb)
                            ON CONFLICT (collector_id) DO UPDATE SET
                                applied_version = CASE WHEN excluded.last_status = 'APPLIED'
                                                       THEN excluded.last_attempted ELSE s.applied_version END,
                                last_attempted = excluded.last_attempted, last_status = excluded.last_status,
                                last_error = excluded.last_error, effective_sha256 = excluded.effective_sha256,
                                reported_at = excluded.reported_at,
                                allow_lists = coalesce(excluded.allow_lists, s.allow_lists),
                                agent_version = excluded.agent_version,
                                facts = coalesce(excluded.facts, s.facts)""",
                    r.collectorId().value(), r.status().name(), r.version(), r.version(), r.status().name(), r.error(),
                    r.effectiveSha256(), Rows.timestamp(r.reportedAt()),
                    r.allowances().map(FleetPersistenceAdapter::json).orElse(null), r.agentVersion(),
                    r.facts().map(FactsJson::facts).orElse(null));
            return new Receipt.Stored(0);
        }, rc -> !(rc instanceof Receipt.UnknownRevision)));
    }

    @Override
    public Receipt saveSampleBatch(CollectorId collectorId, SampleBatch batch, Instant receivedAt) {
        try {
            if (!ingest.tryAcquire(INGEST_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new StorageBusyException("storing samples: all " + ingestConnections
                        + " connections sample ingest may take (half the pool) were busy", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageBusyException("storing samples: interrupted while waiting for a connection", e);
        }
        try {
            return store(collectorId, batch, receivedAt);
        } finally {
            ingest.release();
        }
    }

    private Receipt store(CollectorId collectorId, SampleBatch batch, Instant receivedAt) {
        return Rows.guard("storing samples", () -> Rows.inTransaction(db, tx -> {
            long seen = tx.update("UPDATE collectors SET last_seen_at = ? WHERE id = ?",
                    Rows.timestamp(receivedAt), collectorId.value());
            if (seen == 0) {
                return new Receipt.CollectorNotFound();
            }
            long fresh = tx.insert("INSERT INTO sample_batches (batch_id, collector_id, received_at, sample_count)"
                            + " VALUES (?, ?, ?, ?) ON CONFLICT (collector_id, batch_id) DO NOTHING",
                    batch.batchId(), collectorId.value(), Rows.timestamp(receivedAt), batch.samples().size());
            if (fresh == 0) {
                return new Receipt.Duplicate();
            }
            if (!batch.samples().isEmpty()) {
                tx.insert("""
                                INSERT INTO samples (collector_id, batch_id, name, labels, value, ts)
                                SELECT ?, ?, x.name, x.labels, x.value, x.ts
                                FROM jsonb_to_recordset(?::jsonb) AS x(name text, labels jsonb, value double precision,
                                                                       ts timestamptz)""",
                        collectorId.value(), batch.batchId(), json(batch.samples()));
            }
            return new Receipt.Stored(batch.samples().size());
        }));
    }

    private static String json(HostAllowances a) {
        return Json.createObjectBuilder().add("password_dirs", Json.createArrayBuilder(a.passwordDirs()))
                .add("password_env", Json.createArrayBuilder(a.passwordEnv()))
                .add("hosts", Json.createArrayBuilder(a.hosts())).build().toString();
    }

    private static String json(List<Sample> samples) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        for (Sample s : samples) {
            JsonObjectBuilder labels = Json.createObjectBuilder();
            s.labels().forEach(labels::add);
            a.add(Json.createObjectBuilder().add("name", s.name()).add("labels", labels).add("value", s.value())
                    .add("ts", s.ts().toString()));
        }
        return a.build().toString();
    }

    @Override
    public List<FleetMember> loadFleet() {
        return Rows.guard("loading the fleet", () -> db.execute().query(MEMBERS + " ORDER BY c.id")
                .map(FleetPersistenceAdapter::member).toList());
    }

    @Override
    public Optional<FleetMember> loadMember(CollectorId collectorId) {
        return Rows.guard("loading collector " + collectorId, () -> db.execute()
                .get(MEMBERS + " AND c.id = ?", collectorId.value())
                .map(FleetPersistenceAdapter::member));
    }

    /*
     * The fleet view's rows: one query for the list and for one collector, so both show the same.
     * from_backup (c.restored_at set): the collector's apply status is the one a restore brought back
     * (or it had none) and nothing since said what its agent runs: it may have applied later versions
     * than the backup's, or run one the restore removed. A metrics push does not say it, so it does
     * not clear the mark.
     */
    private static final String MEMBERS = """
                        WITH %s
                        SELECT c.id, c.name, c.hostname, c.labels::text AS labels, c.created_at,
                               c.revoked_at IS NOT NULL AS revoked, c.last_seen_at IS NOT NULL AS seen,
                               coalesce(c.last_seen_at, 'epoch') AS last_seen_at,
                               coalesce(e.revision, 0) AS latest_version,
                               coalesce(s.applied_version, 0) AS applied_version,
                               coalesce(s.last_status, '') AS last_status,
                               coalesce(s.last_error, '') AS last_error, coalesce(s.last_attempted, 0) AS last_attempted,
                               coalesce(s.allow_lists::text, '') AS allow_lists,
                               (s.effective_sha256 IS NULL OR e.effective_sha256 IS NULL
                                   OR s.effective_sha256 = e.effective_sha256) AS hash_agrees,
                               (c.last_seen_at IS NOT NULL AND c.last_seen_at
                                   < now() - make_interval(secs => 3 * coalesce(e.pull_interval_s, 300))) AS stale,
                               coalesce(s.agent_version, '') AS agent_version,
                               coalesce(s.facts::text, '') AS facts,
                               coalesce(s.capability_gaps::text, '') AS capability_gaps,
                               coalesce(lb.rollout, 0) AS left_behind_rollout, coalesce(lb.staged, '') AS left_behind_staged,
                               c.restored_at IS NOT NULL AS from_backup
                        FROM collectors c LEFT JOIN collector_status s ON s.collector_id = c.id
                        LEFT JOIN effective_configs e ON e.collector_id = c.id
                        LEFT JOIN LATERAL (
                            SELECT h.rollout, h.source AS staged FROM %s JOIN held h ON h.source = t.source
                            ORDER BY h.rollout DESC LIMIT 1) lb ON true
                        WHERE c.decommissioned_at IS NULL""".formatted(HELD, SOURCES);

    @Override
    public FleetCounts countFleet() {
        return Rows.guard("counting the fleet", () -> db.execute().get(COUNT_QUERY)
                .map(r -> new FleetCounts(count(r, "in_sync"), count(r, "out_of_sync"), count(r, "stale"),
                        count(r, "never_seen"), count(r, "revoked"), count(r, "applied"), count(r, "failed"),
                        count(r, "no_report"), count(r, "left_behind")))
                .orElseThrow());
    }

    private static long count(DbRow row, String column) {
        return ((Number) row.column(column).get()).longValue();
    }

    private static FleetMember member(DbRow row) {
        boolean seen = row.column("seen").get(Boolean.class);
        String status = Rows.text(row, "last_status");
        return new FleetMember(CollectorPersistenceAdapter.collector(row),
                seen ? Optional.of(Rows.instant(row, "last_seen_at")) : Optional.empty(),
                Rows.integer(row, "latest_version"), Rows.integer(row, "applied_version"),
                status.isEmpty() ? Optional.empty() : Optional.of(ApplyStatus.valueOf(status)),
                Rows.text(row, "last_error"), Rows.integer(row, "last_attempted"),
                row.column("hash_agrees").get(Boolean.class), row.column("stale").get(Boolean.class),
                FactsJson.allowances(Rows.text(row, "allow_lists")), Rows.text(row, "agent_version"),
                FactsJson.facts(Rows.text(row, "facts")), FactsJson.gaps(Rows.text(row, "capability_gaps")),
                Rows.integer(row, "left_behind_rollout") == 0 ? Optional.empty()
                        : Optional.of(new LeftBehind(Rows.integer(row, "left_behind_rollout"),
                        Rows.text(row, "left_behind_staged"))),
                row.column("from_backup").get(Boolean.class));
    }

    /** How a start found its database. */
    public enum DatabaseOrigin {
        /** The database the instances last started on (as far as its tables tell). */
        SAME,
        /**
         * Its tables were created anew since an instance last started on it, their rows loaded into
         * them: a logical restore ({@code pg_restore}, {@code psql} of a dump).
         */
        TABLES_CREATED_ANEW,
        /** Its identity row was removed: the operator's step after a physical restore. */
        IDENTITY_REMOVED
    }

    /**
     * What a start found.
     *
     * @param origin how it found the database
     * @param marked how many collectors' apply statuses it marked as the backup's (0 when it marked none)
     * @param asked  whether the caller said the database was restored (the embedded restore's mark)
     * @param newestEntry the time of the newest audit entry the database held when the start found it
     *               restored, before the start wrote any (empty when it held none, or was not restored)
     */
    public record RestoreCheck(DatabaseOrigin origin, long marked, boolean asked, Optional<Instant> newestEntry) {

        /** Requires every part. */
        public RestoreCheck {
            Objects.requireNonNull(origin, "origin");
            Objects.requireNonNull(newestEntry, "newestEntry");
        }

        /** Whether this start is the first on a restored database, and marked its apply statuses. */
        public boolean restored() {
            return asked || origin != DatabaseOrigin.SAME;
        }
    }

    /**
     * At a start, before serving: marks every collector's apply status as brought back by a restore
     * when the database was restored. Until each collector's agent says what it runs (an apply
     * report, or a pull of its current revision answered 304), the fleet view says so and claims none
     * of them in sync. Every collector not decommissioned is marked, one without a status row too (its
     * agent may run a version the restore removed). The database was restored when the caller knows it
     * (the embedded restore leaves a mark in its cluster), when its tables were created anew since an
     * instance last started on it (its identity row names another table's oid: a logical restore of
     * an external database), or when its identity row was removed (the operator's step after a
     * physical restore, which keeps every oid); a physical copy nobody marked is not told apart.
     *
     * <p>The identity stays as it is until {@link #recordIdentity()}, called once the start has done
     * everything else a restored database needs: a crash before that, and an instance starting at the
     * same time, find the database restored still, and do it again (marking twice is marking once).
     *
     * @param restored whether the caller knows that the database was restored
     * @return what it found and did
     */
    public RestoreCheck markIfRestored(boolean restored) {
        return Rows.guard("checking whether the database was restored", () -> Rows.inTransaction(db, tx -> {
            // Behind an instance that records the identity now: this one then finds it recorded.
            tx.dml("LOCK TABLE database_identity IN SHARE MODE");
            DatabaseOrigin origin = origin(tx);
            if (origin == DatabaseOrigin.SAME && !restored) {
                return new RestoreCheck(origin, 0, false, Optional.empty());
            }
            Optional<Instant> newest = tx.get("SELECT max(at) AS newest FROM audit_log HAVING count(*) > 0")
                    .map(r -> Rows.instant(r, "newest"));
            return new RestoreCheck(origin, tx.update("UPDATE collectors SET restored_at = now() WHERE decommissioned_at IS NULL"),
                    restored, newest);
        }));
    }

    /**
     * Records the database's identity, once a start has done what a restored database needs
     * ({@link #markIfRestored}): later starts find it the same. In the same transaction it writes the
     * audit entry saying that the database was restored, once per restore: instances starting
     * together on a database whose identity changed wait for each other here, and only the first
     * finds it changed and writes the entry. A restore the caller knows of ({@code markedAt}, the
     * embedded restore's mark, which may leave the identity as it was) is written unless an entry
     * saying so was written since the mark was made: by this instance's previous start, which
     * stopped before it could remove the mark.
     *
     * @param markedAt when the restore the caller knows of was made, empty when it knows of none
     * @param restored the entry saying that the database was restored
     * @return whether this call wrote the entry
     */
    public boolean recordIdentity(Optional<Instant> markedAt, AuditEntry restored) {
        return Rows.guard("recording the database's identity", () -> Rows.inTransaction(db, tx -> {
            tx.dml("LOCK TABLE database_identity IN EXCLUSIVE MODE");
            boolean changed = origin(tx) != DatabaseOrigin.SAME;
            if (changed) {
                tx.dml("DELETE FROM database_identity");
                tx.dml("INSERT INTO database_identity (table_oid) VALUES ('database_identity'::regclass)");
            }
            boolean write = changed || markedAt.isPresent() && tx.get("SELECT 1 FROM audit_log WHERE action = ? AND at >= ?"
                    + " LIMIT 1", AuditAction.SERVER_RESTORED.label(), Rows.timestamp(markedAt.get())).isEmpty();
            if (write) {
                AuditPersistenceAdapter.insert(tx, restored);
            }
            return write;
        }));
    }

    private static DatabaseOrigin origin(DbTransaction tx) {
        return tx.get("SELECT table_oid = 'database_identity'::regclass AS same FROM database_identity")
                .map(r -> r.column("same").get(Boolean.class) ? DatabaseOrigin.SAME : DatabaseOrigin.TABLES_CREATED_ANEW)
                .orElse(DatabaseOrigin.IDENTITY_REMOVED);
    }

    @Override
    public java.util.Set<CollectorId> loadRestoredMarks() {
        return Rows.guard("loading restore marks", () -> db.execute()
                .query("SELECT id FROM collectors WHERE restored_at IS NOT NULL AND decommissioned_at IS NULL")
                .map(r -> CollectorId.of(Rows.text(r, "id"))).collect(java.util.stream.Collectors.toUnmodifiableSet()));
    }

    @Override
    public boolean saveRunsNothing(CollectorId collectorId, Instant at) {
        return Rows.guard("saving that collector " + collectorId + " runs the defaults", () -> Rows.inTransaction(db, tx -> {
            // The collector's row is locked first, as a publish locks it: a revision published before
            // the lock is granted is seen by the next statement (a new snapshot), and one published
            // after it waits for this transaction.
            if (tx.get("SELECT restored_at IS NOT NULL AS marked FROM collectors WHERE id = ? AND decommissioned_at IS NULL"
                    + " FOR UPDATE", collectorId.value()).map(r -> r.column("marked").get(Boolean.class)).orElse(false)) {
                tx.update("UPDATE collectors c SET restored_at = NULL, last_seen_at = ? WHERE c.id = ?"
                                + " AND NOT EXISTS (SELECT 1 FROM effective_configs e WHERE e.collector_id = c.id)",
                        Rows.timestamp(at), collectorId.value());
            }
            return tx.get("SELECT 1 FROM collectors WHERE id = ? AND restored_at IS NOT NULL", collectorId.value()).isEmpty();
        }));
    }

    @Override
    public boolean saveRunsRevision(CollectorId collectorId, ConfigVersion revision, Instant at) {
        return Rows.guard("saving what collector " + collectorId + " runs", () -> Rows.inTransaction(db, tx -> {
            // What an applied report of the revision stores, with the hash the server computed for it;
            // only while the collector is marked and the revision is still its current one (a revision
            // whose hash no server computed yet proves nothing here: its next report clears the mark).
            long saved = tx.insert("""
                            WITH m AS (UPDATE collectors c SET restored_at = NULL, last_seen_at = ?
                                       FROM effective_configs e
                                       WHERE c.id = ? AND c.restored_at IS NOT NULL AND c.decommissioned_at IS NULL
                                         AND e.collector_id = c.id AND e.revision = ? AND e.effective_sha256 IS NOT NULL
                                       RETURNING c.id, e.revision, e.effective_sha256)
                            INSERT INTO collector_status AS s (collector_id, applied_version, last_attempted, last_status,
                                                               last_error, effective_sha256, reported_at)
                            SELECT m.id, m.revision, m.revision, 'APPLIED', '', m.effective_sha256, ? FROM m
                            ON CONFLICT (collector_id) DO UPDATE SET
                                applied_version = excluded.applied_version, last_attempted = excluded.last_attempted,
                                last_status = 'APPLIED', last_error = '', effective_sha256 = excluded.effective_sha256,
                                reported_at = excluded.reported_at""",
                    Rows.timestamp(at), collectorId.value(), revision.value(), Rows.timestamp(at));
            return saved == 1 || tx.get("SELECT 1 FROM collectors WHERE id = ? AND restored_at IS NOT NULL",
                    collectorId.value()).isEmpty();
        }));
    }

    @Override
    public SamplePage loadSamples(CollectorId collectorId, String name, Instant since, Optional<SamplePosition> after,
                                  int limit) {
        return SamplePages.load(db, collectorId, name, since, after, limit);
    }
}
