package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.pgfleet.domain.audit.AuditFilter;
import io.pgfleet.application.port.out.LoadAuditTrailPort;
import io.pgfleet.application.port.out.RecordAuditPort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.util.List;

/**
 * The audit trail in the append-only {@code audit_log} table. Entries are written by the other
 * adapters inside the transaction of the write they record.
 */
public final class AuditPersistenceAdapter implements LoadAuditTrailPort, RecordAuditPort {

    private final DbClient db;

    AuditPersistenceAdapter(DbClient db) {
        this.db = db;
    }

    static void insert(DbExecute tx, AuditEntry e) {
        tx.insert("INSERT INTO audit_log (at, actor, address, action, collector_id, username, version, detail)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values(e));
    }

    /** The values of an entry's columns, in the order at, actor, address, action, collector_id, username, version, detail. */
    static Object[] values(AuditEntry e) {
        if (e.action() == AuditAction.UNRECOGNISED) {
            throw new IllegalArgumentException("an entry read back as unrecognised is never written again");
        }
        String collector = e.subject() instanceof AuditSubject.OfCollector c ? c.collectorId().value() : "";
        String user = e.subject() instanceof AuditSubject.OfUser u ? u.username().value() : "";
        return new Object[] {Rows.timestamp(e.at()), e.actor().name(), e.actor().address(), e.action().label(),
                collector, user, e.version(), e.detail()};
    }

    @Override
    public void recordAudit(AuditEntry entry) {
        Rows.guard("recording an audit entry", () -> {
            insert(db.execute(), entry);
            return null;
        });
    }

    @Override
    public List<AuditEntry> loadAudit(AuditFilter f) {
        return Rows.guard("reading the audit trail", () -> db.execute().query("""
                        SELECT at, actor, address, action, collector_id, username, version, detail FROM audit_log
                        WHERE (? = '' OR collector_id = ?) AND (? = '' OR actor = ?) AND (? = '' OR action = ?)
                          AND at >= ? AND at < ?
                        ORDER BY at DESC, id DESC LIMIT ?""",
                        f.collectorId(), f.collectorId(), f.actor(), f.actor(), f.action(), f.action(),
                        Rows.timestamp(f.since()), Rows.timestamp(f.until()), f.limit())
                .map(AuditPersistenceAdapter::entry)
                .toList());
    }

    private static AuditEntry entry(DbRow row) {
        String collector = Rows.text(row, "collector_id");
        String user = Rows.text(row, "username");
        AuditSubject subject = !collector.isEmpty() ? new AuditSubject.OfCollector(CollectorId.of(collector))
                : !user.isEmpty() ? new AuditSubject.OfUser(new Username(user)) : new AuditSubject.OfServer();
        // A newer release's server beside this one (a rolling upgrade) may have written an action this
        // release does not know: listed as unrecognised, its name kept in the detail, not a failed page.
        AuditAction.Stored stored = AuditAction.readStored(Rows.text(row, "action"), Rows.text(row, "detail"));
        return new AuditEntry(Rows.instant(row, "at"), new Actor(Rows.text(row, "actor"), Rows.text(row, "address")),
                stored.action(), subject, Rows.integer(row, "version"), stored.detail());
    }
}
