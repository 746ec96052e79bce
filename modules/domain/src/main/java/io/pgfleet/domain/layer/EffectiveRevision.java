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
 * @param silenceSeconds  the longest its agent is expected to go without being heard from
 *                        ({@link io.pgfleet.domain.schema.EffectiveConfig#longestSilence()}; 0 when not yet
 *                        computed): the fleet view calls it stale after three
 */
public record EffectiveRevision(CollectorId collectorId, ConfigVersion revision, ConfigDocument document,
                                ContentHash hash, String effectiveSha256, List<String> sources, Instant createdAt,
                                long silenceSeconds) {

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
     * A change of the fleet or group layers that leaves the effective configuration as it was
     * (the same values, only rendered or sourced differently) keeps the revision and its document
     * too: agents have nothing new to apply, so nothing new is announced.
     *
     * @param collectorId the collector
     * @param current     its current effective revision, if any
     * @param composed    the new composition
     * @param at          the time of the change
     * @return the revision to store, or empty when nothing changed
     */
    public static Optional<EffectiveRevision> after(CollectorId collectorId, Optional<EffectiveRevision> current,
                                                    Composition.Composed composed, Instant at) {
        return composed.document().isEmpty() ? Optional.empty()
                : after(collectorId, current, composed, composed.document().get().hash(), composed.effective().sha256(), at);
    }

    /**
     * As {@link #after(CollectorId, Optional, Composition.Composed, Instant)}, with the document's
     * hash and the configuration's SHA-256 computed once for every collector sharing the composition.
     *
     * @param collectorId     the collector
     * @param current         its current effective revision, if any
     * @param composed        the new composition (with a document)
     * @param documentHash    the hash of the composition's document
     * @param effectiveSha256 the SHA-256 of the composition's configuration
     * @param at              the time of the change
     * @return the revision to store, or empty when nothing changed
     */
    public static Optional<EffectiveRevision> after(CollectorId collectorId, Optional<EffectiveRevision> current,
                                                    Composition.Composed composed, ContentHash documentHash,
                                                    String effectiveSha256, Instant at) {
        if (composed.document().isEmpty()) {
            return Optional.empty();
        }
        ConfigDocument doc = composed.document().get();
        String sha = effectiveSha256;
        if (current.isPresent() && (current.get().hash().equals(documentHash)
                || sameMeaningFromOtherLayers(current.get(), composed.sources(), sha))) {
            EffectiveRevision c = current.get();
            // The same text: keep the composition's (shared by every collector of the same layers).
            ConfigDocument kept = c.hash().equals(documentHash) ? doc : c.document();
            return c.sources().equals(composed.sources()) && c.effectiveSha256().equals(sha)
                    ? Optional.empty()
                    : Optional.of(new EffectiveRevision(collectorId, c.revision(), kept, c.hash(), sha,
                            composed.sources(), c.createdAt(), composed.effective().longestSilence().toSeconds()));
        }
        ConfigVersion next = current.map(c -> c.revision().next()).orElse(ConfigVersion.first());
        return Optional.of(new EffectiveRevision(collectorId, next, doc, documentHash, sha, composed.sources(), at,
                composed.effective().longestSilence().toSeconds()));
    }

    /**
     * Whether only the fleet or group layers changed (the own layer's version is the same) and the
     * configuration they give means what the current revision means.
     */
    private static boolean sameMeaningFromOtherLayers(EffectiveRevision current, List<String> sources, String sha) {
        return !current.effectiveSha256().isEmpty() && current.effectiveSha256().equals(sha)
                && ownSource(current.sources()).equals(ownSource(sources));
    }

    private static String ownSource(List<String> sources) {
        return sources.isEmpty() || !sources.get(sources.size() - 1).startsWith("collector@") ? ""
                : sources.get(sources.size() - 1);
    }
}
