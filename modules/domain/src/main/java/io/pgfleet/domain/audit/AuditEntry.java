package io.pgfleet.domain.audit;

import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.identity.Actor;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One write, as the audit trail keeps it.
 *
 * @param at          when
 * @param actor       who, and from which address
 * @param action      what kind of write
 * @param subject     what was written to
 * @param version     the configuration version written, 0 when the write created none
 * @param detail      free text (change message, rollback source)
 */
public record AuditEntry(Instant at, Actor actor, AuditAction action, AuditSubject subject, int version,
                         String detail) {

    /** Requires every part; the version is 0 or a real version. */
    public AuditEntry {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(detail, "detail");
        if (version < 0) {
            throw new IllegalArgumentException("an audited version is 0 (none) or positive");
        }
    }

    /**
     * The entry for a published revision.
     *
     * @param revision the new revision
     * @param actor    who published it
     * @return the entry
     */
    public static AuditEntry published(ConfigRevision revision, Actor actor) {
        AuditAction action = revision.source() instanceof RevisionSource.Rollback
                ? AuditAction.CONFIG_ROLLED_BACK : AuditAction.CONFIG_PUBLISHED;
        String detail = revision.source() instanceof RevisionSource.Rollback r
                ? "rollback to version " + r.from().value() + (revision.message().isEmpty() ? "" : ": " + revision.message())
                : revision.message();
        return new AuditEntry(revision.createdAt(), actor, action, new AuditSubject.OfCollector(revision.collectorId()),
                revision.version().value(), detail);
    }

    /**
     * The configuration version this entry is about.
     *
     * @return the version, or empty for writes that created none
     */
    public Optional<ConfigVersion> configVersion() {
        return version == 0 ? Optional.empty() : Optional.of(new ConfigVersion(version));
    }
}
