package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.OwnConfigQuery;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.RevisionSource;
import io.pgfleet.domain.layer.EffectiveRevision;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads what agents receive (the effective document, numbered by effective revision) and, for
 * versions, the collector's own layer.
 */
final class EffectiveConfigService implements GetConfigQuery, OwnConfigQuery, LatestAfter {

    private final LoadCollectorPort collectors;
    private final LoadConfigRevisionPort own;
    private final EffectiveRevisionCache effective;
    /**
     * The answer last made from each cached revision, so that the watchers woken by one change (and
     * repeated reads) share one answer instead of each re-checking the document's hash. Bounded
     * like the cache it mirrors.
     */
    private final ConcurrentHashMap<CollectorId, Answer> answers = new ConcurrentHashMap<>();

    private record Answer(EffectiveRevision from, ConfigLookup.Found found) {
    }

    EffectiveConfigService(LoadCollectorPort collectors, LoadConfigRevisionPort own, EffectiveRevisionCache effective) {
        this.collectors = collectors;
        this.own = own;
        this.effective = effective;
    }

    @Override
    public ConfigLookup latest(CollectorId collectorId) {
        return effective.load(collectorId)
                .<ConfigLookup>map(this::answer)
                // The common case costs one query (none when cached); telling "unknown" from "empty" costs a second.
                .orElseGet(() -> missingLive(collectorId));
    }

    @Override
    public ConfigLookup latest(CollectorId collectorId, int seen) {
        return effective.loadAtLeast(collectorId, seen)
                .<ConfigLookup>map(this::answer)
                .orElseGet(() -> missingLive(collectorId));
    }

    @Override
    public ConfigLookup version(CollectorId collectorId, ConfigVersion version) {
        return own.loadVersion(collectorId, version)
                .<ConfigLookup>map(ConfigLookup.Found::new)
                .orElseGet(() -> collectors.loadCollector(collectorId).isPresent()
                        ? new ConfigLookup.VersionNotFound(collectorId, version)
                        : new ConfigLookup.CollectorNotFound(collectorId));
    }

    @Override
    public ConfigLookup own(CollectorId collectorId) {
        // The own layer's latest version is what an edit builds on; a decommissioned collector has
        // none to edit (its versions stay readable one by one, as history).
        Optional<java.time.Instant> decommissioned = collectors.loadDecommissionedAt(collectorId);
        if (decommissioned.isPresent()) {
            return new ConfigLookup.Decommissioned(collectorId, decommissioned.get());
        }
        return own.loadLatest(collectorId)
                .<ConfigLookup>map(ConfigLookup.Found::new)
                .orElseGet(() -> missing(collectorId));
    }

    private ConfigLookup.Found answer(EffectiveRevision e) {
        Answer last = answers.get(e.collectorId());
        // The same instance means the same cache entry: nothing to check again.
        if (last != null && last.from() == e) {
            return last.found();
        }
        ConfigLookup.Found found = new ConfigLookup.Found(asRevision(e), e.sources());
        if (last != null || answers.size() < EffectiveRevisionCache.MAX_ENTRIES) {
            answers.put(e.collectorId(), new Answer(e, found));
        }
        return found;
    }

    /**
     * Why a collector has no live effective document: a decommissioned one is told apart from one
     * with nothing published yet (a third query, on this rare path only).
     */
    private ConfigLookup missingLive(CollectorId collectorId) {
        ConfigLookup missing = missing(collectorId);
        if (missing instanceof ConfigLookup.NoConfiguration) {
            return collectors.loadDecommissionedAt(collectorId)
                    .<ConfigLookup>map(at -> new ConfigLookup.Decommissioned(collectorId, at))
                    .orElse(missing);
        }
        return missing;
    }

    private ConfigLookup missing(CollectorId collectorId) {
        return collectors.loadCollector(collectorId).isPresent()
                ? new ConfigLookup.NoConfiguration(collectorId)
                : new ConfigLookup.CollectorNotFound(collectorId);
    }

    /** The effective revision in the shape every reader of a configuration understands. */
    private static ConfigRevision asRevision(EffectiveRevision e) {
        return new ConfigRevision(e.collectorId(), e.revision(), e.document(), e.hash(), e.createdAt(), "pgfleet", "",
                new RevisionSource.Put());
    }
}
