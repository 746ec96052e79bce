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

/**
 * Reads what agents receive (the effective document, numbered by effective revision) and, for
 * versions, the collector's own layer.
 */
final class EffectiveConfigService implements GetConfigQuery, OwnConfigQuery {

    private final LoadCollectorPort collectors;
    private final LoadConfigRevisionPort own;
    private final EffectiveRevisionCache effective;

    EffectiveConfigService(LoadCollectorPort collectors, LoadConfigRevisionPort own, EffectiveRevisionCache effective) {
        this.collectors = collectors;
        this.own = own;
        this.effective = effective;
    }

    @Override
    public ConfigLookup latest(CollectorId collectorId) {
        return effective.load(collectorId)
                .<ConfigLookup>map(e -> new ConfigLookup.Found(asRevision(e), e.sources()))
                // The common case costs one query (none when cached); telling "unknown" from "empty" costs a second.
                .orElseGet(() -> missing(collectorId));
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
        return own.loadLatest(collectorId)
                .<ConfigLookup>map(ConfigLookup.Found::new)
                .orElseGet(() -> missing(collectorId));
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
