package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;

final class GetConfigService implements GetConfigQuery {

    private final LoadCollectorPort collectors;
    private final LoadConfigRevisionPort revisions;

    GetConfigService(LoadCollectorPort collectors, LoadConfigRevisionPort revisions) {
        this.collectors = collectors;
        this.revisions = revisions;
    }

    @Override
    public ConfigLookup latest(CollectorId collectorId) {
        return revisions.loadLatest(collectorId)
                .<ConfigLookup>map(ConfigLookup.Found::new)
                // The common case costs one query; telling "unknown" from "empty" costs a second.
                .orElseGet(() -> collectors.loadCollector(collectorId).isPresent()
                        ? new ConfigLookup.NoConfiguration(collectorId)
                        : new ConfigLookup.CollectorNotFound(collectorId));
    }

    @Override
    public ConfigLookup version(CollectorId collectorId, ConfigVersion version) {
        return revisions.loadVersion(collectorId, version)
                .<ConfigLookup>map(ConfigLookup.Found::new)
                .orElseGet(() -> collectors.loadCollector(collectorId).isPresent()
                        ? new ConfigLookup.VersionNotFound(collectorId, version)
                        : new ConfigLookup.CollectorNotFound(collectorId));
    }
}
