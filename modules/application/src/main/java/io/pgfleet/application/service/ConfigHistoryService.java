package io.pgfleet.application.service;

import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.ConfigHistoryQuery.HistoryLookup;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigHistoryPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.ConfigRevision;

import java.util.List;

final class ConfigHistoryService implements ConfigHistoryQuery {

    private final LoadCollectorPort collectors;
    private final LoadConfigHistoryPort history;

    ConfigHistoryService(LoadCollectorPort collectors, LoadConfigHistoryPort history) {
        this.collectors = collectors;
        this.history = history;
    }

    @Override
    public HistoryLookup history(CollectorId collectorId, ConfigVersion before, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("a history page holds 1.." + MAX_PAGE + " versions");
        }
        // One more than asked tells whether another page exists without counting.
        List<ConfigRevision> rows = history.loadHistory(collectorId, before, limit + 1);
        if (rows.isEmpty() && collectors.loadCollector(collectorId).isEmpty()) {
            return new HistoryLookup.CollectorNotFound(collectorId);
        }
        boolean more = rows.size() > limit;
        return new HistoryLookup.Page(more ? rows.subList(0, limit) : rows, more);
    }
}
