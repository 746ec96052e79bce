package io.pgfleet.domain.config;

import io.pgfleet.domain.collector.CollectorId;

import java.time.Instant;
import java.util.Objects;

/**
 * One immutable version of a collector's configuration.
 *
 * @param collectorId whose configuration it is
 * @param version     its number in the collector's history
 * @param document    the TOML text
 * @param hash        SHA-256 of the text
 * @param createdAt   when it was published
 * @param createdBy   who published it
 * @param message     the change message, empty when none was given
 * @param source      whether it was published directly or by a rollback
 */
public record ConfigRevision(CollectorId collectorId, ConfigVersion version, ConfigDocument document,
                             ContentHash hash, Instant createdAt, String createdBy, String message,
                             RevisionSource source) {

    /** Requires every part, and a hash that matches the document. */
    public ConfigRevision {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(createdBy, "createdBy");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(source, "source");
        if (!hash.equals(document.hash())) {
            throw new IllegalArgumentException("the hash of revision " + version + " does not match its document");
        }
    }

    /**
     * The strong entity tag that names this revision.
     *
     * @return the tag
     */
    public EntityTag entityTag() {
        return EntityTag.of(version, hash);
    }
}
