package io.pgfleet.domain.layer;

import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ContentHash;
import io.pgfleet.domain.config.EntityTag;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A collector's effective document: what its agent receives. Its revision counts from the
 * collector's own versions at migration and rises by one only when the document changes,
 * whichever layer or label change caused it.
 *
 * @param collectorId     the collector
 * @param revision        the effective revision
 * @param document        the effective document
 * @param hash            SHA-256 of the document
 * @param effectiveSha256 SHA-256 of the configuration it means (what an agent reports it runs)
 * @param sources         the layer versions merged into it, in apply order
 * @param createdAt       when this revision appeared
 * @param pullIntervalSeconds its {@code collector.config_pull_interval} (0 when not yet computed)
 */
public record EffectiveRevision(CollectorId collectorId, ConfigVersion revision, ConfigDocument document,
                                ContentHash hash, String effectiveSha256, List<String> sources, Instant createdAt,
                                long pullIntervalSeconds) {

    /** Requires every part and a hash that matches the document. */
    public EffectiveRevision {
        Objects.requireNonNull(collectorId, "collectorId");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(effectiveSha256, "effectiveSha256");
        sources = List.copyOf(sources);
        Objects.requireNonNull(createdAt, "createdAt");
        if (!hash.equals(document.hash())) {
            throw new IllegalArgumentException("the hash of effective revision " + revision + " does not match its document");
        }
    }

    /**
     * The strong entity tag of this revision (equal to the own version's tag while they coincide).
     *
     * @return the tag
     */
    public EntityTag entityTag() {
        return EntityTag.of(revision, hash);
    }

    /**
     * The effective revision after a composition: the next revision when the document changed,
     * the current one with updated sources when only the sources changed, or nothing to store.
     *
     * @param collectorId the collector
     * @param current     its current effective revision, if any
     * @param composed    the new composition
     * @param at          the time of the change
     * @return the revision to store, or empty when nothing changed
     */
    public static Optional<EffectiveRevision> after(CollectorId collectorId, Optional<EffectiveRevision> current,
                                                    Composition.Composed composed, Instant at) {
        if (composed.document().isEmpty()) {
            return Optional.empty();
        }
        ConfigDocument doc = composed.document().get();
        String sha = composed.effective().sha256();
        if (current.isPresent() && current.get().hash().equals(doc.hash())) {
            EffectiveRevision c = current.get();
            return c.sources().equals(composed.sources()) && c.effectiveSha256().equals(sha)
                    ? Optional.empty()
                    : Optional.of(new EffectiveRevision(collectorId, c.revision(), c.document(), c.hash(), sha,
                            composed.sources(), c.createdAt(), composed.effective().pullInterval().toSeconds()));
        }
        ConfigVersion next = current.map(c -> c.revision().next()).orElse(ConfigVersion.first());
        return Optional.of(new EffectiveRevision(collectorId, next, doc, doc.hash(), sha, composed.sources(), at,
                composed.effective().pullInterval().toSeconds()));
    }
}
