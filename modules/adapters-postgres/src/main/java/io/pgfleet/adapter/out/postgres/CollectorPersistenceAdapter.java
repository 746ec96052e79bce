package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.RevokeCollectorPort;
import io.pgfleet.application.port.out.SaveCollectorPort;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;

import java.io.StringReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Collectors in the {@code collectors} table.
 */
public final class CollectorPersistenceAdapter implements LoadCollectorPort, SaveCollectorPort, RevokeCollectorPort {

    private static final String COLUMNS =
            "id, name, hostname, labels::text AS labels, created_at, revoked_at IS NOT NULL AS revoked";

    private final DbClient db;

    CollectorPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    @Override
    public Optional<Collector> loadCollector(CollectorId collectorId) {
        return Rows.guard("loading collector " + collectorId, () -> db.execute()
                .get("SELECT " + COLUMNS + " FROM collectors WHERE id = ?", collectorId.value())
                .map(CollectorPersistenceAdapter::collector));
    }

    @Override
    public Optional<java.time.Instant> loadDecommissionedAt(CollectorId collectorId) {
        return Rows.guard("loading collector " + collectorId, () -> db.execute()
                .get("SELECT decommissioned_at FROM collectors WHERE id = ? AND decommissioned_at IS NOT NULL",
                        collectorId.value())
                .map(r -> Rows.instant(r, "decommissioned_at")));
    }

    @Override
    public Optional<io.pgfleet.domain.collector.CollectorTombstone> loadTombstone(CollectorId collectorId) {
        return Rows.guard("loading collector " + collectorId, () -> db.execute()
                .get("SELECT decommissioned_at, purged_at FROM collectors WHERE id = ? AND purged_at IS NOT NULL",
                        collectorId.value())
                .map(r -> new io.pgfleet.domain.collector.CollectorTombstone(collectorId, Rows.instant(r, "decommissioned_at"),
                        Rows.instant(r, "purged_at"))));
    }

    @Override
    public boolean saveNewCollector(Collector collector, AuditEntry audit) {
        return Rows.guard("saving collector " + collector.id(), () -> Rows.inTransaction(db, tx -> insert(tx, collector,
                audit)));
    }

    /** Stores a new collector and its audit entry in the given transaction, unless its id is taken. */
    static boolean insert(io.helidon.dbclient.DbTransaction tx, Collector collector, AuditEntry audit) {
        long inserted = tx.insert("""
                            INSERT INTO collectors (id, name, hostname, labels, created_at)
                            VALUES (?, ?, ?, ?::jsonb, ?)
                            ON CONFLICT (id) DO NOTHING""",
                    collector.id().value(), collector.name(), collector.hostname(), json(collector.labels()),
                    Rows.timestamp(collector.createdAt()));
        if (inserted == 1) {
            AuditPersistenceAdapter.insert(tx, audit);
        }
        return inserted == 1;
    }

    @Override
    public boolean revokeCollector(CollectorId collectorId, java.time.Instant at, AuditEntry audit) {
        return Rows.guard("revoking collector " + collectorId, () -> Rows.inTransaction(db, tx -> {
            // A decommissioned collector is revoked already and answers like an unknown one.
            long n = tx.update("UPDATE collectors SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?"
                    + " AND decommissioned_at IS NULL", Rows.timestamp(at), collectorId.value());
            if (n == 1) {
                AuditPersistenceAdapter.insert(tx, audit);
                PostgresChangeFeed.announcePrincipal(tx, collectorId.value());
            }
            return n == 1;
        }));
    }

    static Collector collector(DbRow row) {
        return new Collector(CollectorId.of(Rows.text(row, "id")), Rows.text(row, "name"), Rows.text(row, "hostname"),
                labels(Rows.text(row, "labels")), Rows.instant(row, "created_at"),
                row.column("revoked").get(Boolean.class));
    }

    /**
     * One JSON provider for every row: {@code Json.create…} looks the provider up through the
     * service loader on every call, which dominated reading and writing thousands of rows.
     */
    static final jakarta.json.spi.JsonProvider JSON = jakarta.json.spi.JsonProvider.provider();

    static String json(Map<String, String> labels) {
        JsonObjectBuilder b = JSON.createObjectBuilder();
        labels.forEach(b::add);
        return b.build().toString();
    }

    static Map<String, String> labels(String json) {
        try (JsonReader reader = JSON.createReader(new StringReader(json))) {
            JsonObject o = reader.readObject();
            Map<String, String> labels = new LinkedHashMap<>();
            o.forEach((k, v) -> labels.put(k, ((JsonString) v).getString()));
            return labels;
        }
    }
}
