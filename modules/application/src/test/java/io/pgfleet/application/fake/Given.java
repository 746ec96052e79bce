package io.pgfleet.application.fake;

import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.identity.Actor;

import java.time.Instant;
import java.util.Map;

/** Test data builders: the same collector, documents and actors in every use-case test. */
public final class Given {

    /** The instant the fixed test clocks start at. */
    public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Given() {
    }

    /**
     * @param id the collector's id
     * @return a provisioned, unrevoked collector with {@code env=prod}
     */
    public static Collector collector(String id) {
        return new Collector(CollectorId.of(id), id, "", Map.of("env", "prod"), T0, false);
    }

    /**
     * @param pgStatsInterval the pg_stats interval in seconds
     * @return a valid document
     */
    public static ConfigDocument document(int pgStatsInterval) {
        return new ConfigDocument("[collector]\npush_interval = 30\n\n[collectors.pg_stats]\ninterval = "
                + pgStatsInterval + "\n");
    }

    /** @return a document the schema refuses (push interval 0) */
    public static ConfigDocument invalidDocument() {
        return new ConfigDocument("[collector]\npush_interval = 0\n");
    }

    /** @return an operator */
    public static Actor alice() {
        return new Actor("alice", "192.0.2.1");
    }
}
