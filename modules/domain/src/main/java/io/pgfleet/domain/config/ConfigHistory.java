package io.pgfleet.domain.config;

import java.util.Optional;

/**
 * The rules of a collector's configuration history: versions are 1, 2, 3 … with no gap, a stale
 * expectation is a conflict, and publishing the latest document again changes nothing.
 *
 * <p>Storage calls {@link #decide} while it holds the collector's history exclusively, so the
 * decision and the new version number are race-free.
 */
public final class ConfigHistory {

    private ConfigHistory() {
    }

    /**
     * Decides the outcome of a publish on top of the latest revision.
     *
     * @param latest  the collector's latest revision, if it has one
     * @param request the publish
     * @return {@link PublishResult.Published} with the next version,
     *         {@link PublishResult.Unchanged} when the document equals the latest one, or
     *         {@link PublishResult.VersionConflict} when the precondition fails
     */
    public static PublishResult decide(Optional<ConfigRevision> latest, PublishRequest request) {
        latest.ifPresent(r -> {
            if (!r.collectorId().equals(request.collectorId())) {
                throw new IllegalArgumentException("the latest revision belongs to another collector");
            }
        });
        if (!request.precondition().isMetBy(latest)) {
            return new PublishResult.VersionConflict(latest);
        }
        ContentHash hash = request.document().hash();
        if (latest.isPresent() && latest.get().hash().equals(hash)) {
            return new PublishResult.Unchanged(latest.get());
        }
        ConfigVersion version = latest.map(r -> r.version().next()).orElse(ConfigVersion.first());
        return new PublishResult.Published(new ConfigRevision(request.collectorId(), version, request.document(),
                hash, request.at(), request.actor().name(), request.message(), request.source()));
    }
}
