package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LoadConfigHistoryPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.config.RevisionSource;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Configuration revisions in the {@code config_revisions} table. A publish locks the collector's
 * row for the length of its transaction, which serialises concurrent publishers of one collector
 * (and only of that one) and makes the next version number race-free.
 */
public final class ConfigRevisionPersistenceAdapter
        implements LoadConfigRevisionPort, AppendConfigRevisionPort, LoadConfigHistoryPort {

    private static final String COLUMNS =
            "collector_id, version, document, content_hash, created_at, created_by, message, source";

    private final DbClient db;

    ConfigRevisionPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public Optional<ConfigRevision> loadLatest(CollectorId collectorId) {
        return Rows.guard("loading the latest configuration of " + collectorId, () -> db.execute()
                .get("SELECT " + COLUMNS + " FROM config_revisions WHERE collector_id = ?"
                        + " ORDER BY version DESC LIMIT 1", collectorId.value())
                .map(ConfigRevisionPersistenceAdapter::revision));
    }

    @Override
    public Optional<ConfigRevision> loadVersion(CollectorId collectorId, ConfigVersion version) {
        return Rows.guard("loading version " + version + " of " + collectorId,
                () -> loadVersion(db.execute(), collectorId, version.value()));
    }

    @Override
    public PublishResult append(CollectorId collectorId, Function<Optional<ConfigRevision>, PublishResult> decision,
                                Function<ConfigRevision, AuditEntry> audit) {
        return Rows.guard("publishing a configuration of " + collectorId,
                () -> appendInTransaction(collectorId, decision, audit));
    }

    @Override
    public List<ConfigRevision> loadHistory(CollectorId collectorId, ConfigVersion before, int limit) {
        return Rows.guard("reading the history of " + collectorId, () -> db.execute()
                .query("SELECT " + COLUMNS + " FROM config_revisions WHERE collector_id = ? AND version < ?"
                        + " ORDER BY version DESC LIMIT ?", collectorId.value(), before.value(), limit)
                .map(ConfigRevisionPersistenceAdapter::revision)
                .toList());
    }

    private PublishResult appendInTransaction(CollectorId collectorId,
                                              Function<Optional<ConfigRevision>, PublishResult> decision,
                                              Function<ConfigRevision, AuditEntry> audit) {
        // Rolled back unless a revision was published: a refused publish leaves no trace.
        return Rows.inTransaction(db, tx -> {
            Optional<DbRow> locked = tx.get("SELECT latest_version FROM collectors WHERE id = ? FOR UPDATE",
                    collectorId.value());
            if (locked.isEmpty()) {
                return new PublishResult.CollectorNotFound(collectorId);
            }
            int latestVersion = Rows.integer(locked.get(), "latest_version");
            Optional<ConfigRevision> latest = latestVersion == 0
                    ? Optional.empty()
                    : loadVersion(tx, collectorId, latestVersion);
            PublishResult result = decision.apply(latest);
            if (result instanceof PublishResult.Published published) {
                // This transaction's one lag probe goes with the announcement (a layer transaction sends its own).
                insert(tx, published.revision(), latestVersion, true);
                AuditPersistenceAdapter.insert(tx, audit.apply(published.revision()));
            }
            return result;
        }, result -> result instanceof PublishResult.Published);
    }

    /** Stores the version following the latest, in a transaction that holds the collector's row lock. */
    static void insertVersion(DbTransaction tx, ConfigRevision r) {
        insert(tx, r, r.version().value() - 1, false);
    }

    /**
     * The version, the collector's latest version and the announcement in one round trip: the
     * version is stored only when it follows the latest (the caller holds the collector's row lock,
     * so nothing moves in between); otherwise nothing is written and this throws.
     */
    private static final String INSERT_VERSION = """
            WITH c AS (SELECT latest_version FROM collectors WHERE id = ?),
                 ins AS (INSERT INTO config_revisions (collector_id, version, document, content_hash, created_at,
                             created_by, message, source)
                         SELECT ?::text, ?::integer, ?::text, ?::text, ?::timestamptz, ?::text, ?::text, ?::text FROM c
                         WHERE c.latest_version + 1 = ?::integer
                         RETURNING collector_id, version),
                 upd AS (UPDATE collectors u SET latest_version = ins.version FROM ins WHERE u.id = ins.collector_id
                         RETURNING u.id)
            SELECT c.latest_version AS latest,
                   (SELECT pg_notify(?, ins.collector_id || ':' || ins.version) IS NULL FROM ins) AS sent""";

    /**
     * {@link #INSERT_VERSION} with the version's audit entry written by the same statement (only when
     * the version is).
     */
    private static final String INSERT_AUDITED_VERSION = INSERT_VERSION.replace("upd AS (",
            "aud AS (INSERT INTO audit_log (at, actor, address, action, collector_id, username, version, detail)"
            + " SELECT ?::timestamptz, ?::text, ?::text, ?::text, ?::text, ?::text, ?::integer, ?::text FROM ins),"
            + " upd AS (");

    /**
     * Stores the version following the latest and its audit entry in one round trip, in a
     * transaction that holds the collector's row lock.
     */
    static void insertVersion(DbTransaction tx, ConfigRevision r, AuditEntry audit) {
        Object[] entry = AuditPersistenceAdapter.values(audit);
        Object[] params = new Object[] {r.collectorId().value(), r.collectorId().value(), r.version().value(),
                r.document().text(), r.hash().hex(), Rows.timestamp(r.createdAt()), r.createdBy(), r.message(),
                r.source().label(), r.version().value(), entry[0], entry[1], entry[2], entry[3], entry[4], entry[5],
                entry[6], entry[7], PostgresChangeFeed.CHANNEL};
        checked(r, tx.get(INSERT_AUDITED_VERSION + " FROM c", params));
    }

    private static void insert(DbTransaction tx, ConfigRevision r, int latestVersion, boolean lagProbe) {
        if (r.version().value() != latestVersion + 1) {
            throw new IllegalStateException("version " + r.version() + " does not follow " + latestVersion);
        }
        // The announcement is delivered to every instance's LISTEN connection when (and only if) the
        // transaction commits.
        Optional<DbRow> row = tx.get(INSERT_VERSION + (lagProbe ? ", " + PostgresChangeFeed.SENT_AT_NOTIFY : "") + " FROM c",
                r.collectorId().value(), r.collectorId().value(), r.version().value(), r.document().text(), r.hash().hex(),
                Rows.timestamp(r.createdAt()), r.createdBy(), r.message(), r.source().label(), r.version().value(),
                PostgresChangeFeed.CHANNEL);
        checked(r, row);
    }

    private static void checked(ConfigRevision r, Optional<DbRow> row) {
        if (row.isEmpty()) {
            throw new IllegalStateException("collector " + r.collectorId() + " does not exist");
        }
        if (row.get().column("sent").get() == null) {
            throw new IllegalStateException("version " + r.version() + " does not follow "
                    + Rows.integer(row.get(), "latest"));
        }
    }

    private static Optional<ConfigRevision> loadVersion(DbExecute exec, CollectorId collectorId, int version) {
        return exec.get("SELECT " + COLUMNS + " FROM config_revisions WHERE collector_id = ? AND version = ?",
                        collectorId.value(), version)
                .map(ConfigRevisionPersistenceAdapter::revision);
    }

    static ConfigRevision revision(DbRow row) {
        return new ConfigRevision(CollectorId.of(Rows.text(row, "collector_id")),
                new ConfigVersion(Rows.integer(row, "version")),
                new ConfigDocument(Rows.text(row, "document")),
                new ContentHash(Rows.text(row, "content_hash")),
                Rows.instant(row, "created_at"),
                Rows.text(row, "created_by"),
                Rows.text(row, "message"),
                RevisionSource.parse(Rows.text(row, "source")));
    }
}
