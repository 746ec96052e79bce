package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.LayerStorePort;
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

    /** One row of {@link #insertVersions}: the version's columns, then its audit entry's. */
    private static final String VERSION_ROW = "(?::integer, ?::text, ?::integer, ?::text, ?::text, ?::timestamptz, ?::text,"
            + " ?::text, ?::text, ?::timestamptz, ?::text, ?::text, ?::text, ?::text, ?::text, ?::integer, ?::text)";

    /**
     * Several versions with their audit entries in one statement, as {@link #INSERT_AUDITED_VERSION}
     * stores one: only when each collector's versions follow its latest one after another is
     * anything written (the caller holds the collectors' row locks); then the versions, the audit
     * entries (in the order given), the collectors' latest versions and one announcement per version.
     */
    private static final String INSERT_AUDITED_VERSIONS_HEAD = """
            WITH v (n, collector_id, version, document, content_hash, created_at, created_by, message, source,
                    a_at, a_actor, a_address, a_action, a_collector, a_username, a_version, a_detail) AS (VALUES\s""";
    private static final String INSERT_AUDITED_VERSIONS_TAIL = """
            ),
                 k AS (SELECT collector_id, min(version) AS lo, max(version) AS hi, count(*) AS n FROM v GROUP BY collector_id),
                 fit AS (SELECT k.collector_id, k.hi FROM k JOIN collectors c ON c.id = k.collector_id
                         WHERE c.latest_version + 1 = k.lo AND k.hi - k.lo + 1 = k.n),
                 go AS (SELECT (SELECT count(*) FROM fit) = (SELECT count(*) FROM k) AS ok),
                 ins AS (INSERT INTO config_revisions (collector_id, version, document, content_hash, created_at,
                             created_by, message, source)
                         SELECT v.collector_id, v.version, v.document, v.content_hash, v.created_at, v.created_by,
                                v.message, v.source FROM v WHERE (SELECT ok FROM go) ORDER BY v.n),
                 aud AS (INSERT INTO audit_log (at, actor, address, action, collector_id, username, version, detail)
                         SELECT v.a_at, v.a_actor, v.a_address, v.a_action, v.a_collector, v.a_username, v.a_version,
                                v.a_detail FROM v WHERE (SELECT ok FROM go) ORDER BY v.n),
                 upd AS (UPDATE collectors u SET latest_version = fit.hi FROM fit
                         WHERE (SELECT ok FROM go) AND u.id = fit.collector_id)
            SELECT pg_notify(?, v.collector_id || ':' || v.version) IS NULL AS sent FROM v WHERE (SELECT ok FROM go)
            ORDER BY v.n""";

    /**
     * Stores versions following the collectors' latest ones with their audit entries in one round
     * trip (one statement instead of one per version), in a transaction that holds the collectors'
     * row locks; throws, having written nothing, when one does not follow.
     */
    static void insertVersions(DbTransaction tx, List<LayerStorePort.OwnVersion> versions) {
        if (versions.size() == 1) {
            insertVersion(tx, versions.get(0).revision(), versions.get(0).audit());
            return;
        }
        StringBuilder sql = new StringBuilder(INSERT_AUDITED_VERSIONS_HEAD.length() + INSERT_AUDITED_VERSIONS_TAIL.length()
                + versions.size() * (VERSION_ROW.length() + 2));
        sql.append(INSERT_AUDITED_VERSIONS_HEAD);
        Object[] params = new Object[versions.size() * 17 + 1];
        int i = 0;
        for (int n = 0; n < versions.size(); n++) {
            ConfigRevision r = versions.get(n).revision();
            Object[] entry = AuditPersistenceAdapter.values(versions.get(n).audit());
            sql.append(n == 0 ? "" : ", ").append(VERSION_ROW);
            params[i++] = n;
            params[i++] = r.collectorId().value();
            params[i++] = r.version().value();
            params[i++] = r.document().text();
            params[i++] = r.hash().hex();
            params[i++] = Rows.timestamp(r.createdAt());
            params[i++] = r.createdBy();
            params[i++] = r.message();
            params[i++] = r.source().label();
            System.arraycopy(entry, 0, params, i, entry.length);
            i += entry.length;
        }
        params[i] = PostgresChangeFeed.CHANNEL;
        sql.append(INSERT_AUDITED_VERSIONS_TAIL);
        int stored = tx.query(sql.toString(), params).toList().size();
        if (stored != versions.size()) {
            throw new IllegalStateException("the versions of " + versions.stream()
                    .map(v -> v.revision().collectorId() + "@" + v.revision().version()).toList()
                    + " do not each follow their collector's latest");
        }
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
