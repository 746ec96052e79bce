package io.pgfleet.application.fake;

import io.pgfleet.application.port.out.CountFleetPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadFleetPort;
import io.pgfleet.application.port.out.SaveApplyReportPort;
import io.pgfleet.application.port.out.SaveSampleBatchPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.ApplyReport;
import io.pgfleet.domain.fleet.FleetCounts;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.SampleBatch;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Apply reports and samples in memory, with the adapter's exactly-once promise: a batch id already
 * stored for the same collector is a duplicate and stores nothing; ids are scoped per collector.
 */
public final class InMemoryFleetStore implements SaveApplyReportPort, SaveSampleBatchPort, LoadFleetPort,
        CountFleetPort {

    private final LoadCollectorPort collectors;
    private final List<ApplyReport> reports = new ArrayList<>();
    private final List<StoredSample> samples = new ArrayList<>();
    private final Set<String> batchIds = new HashSet<>();

    private record StoredSample(CollectorId collectorId, Sample sample) {
    }

    /**
     * @param collectors which collectors exist
     */
    public InMemoryFleetStore(LoadCollectorPort collectors) {
        this.collectors = collectors;
    }

    @Override
    public synchronized Receipt saveApplyReport(ApplyReport report) {
        if (collectors.loadCollector(report.collectorId()).isEmpty()) {
            return new Receipt.CollectorNotFound();
        }
        reports.add(report);
        return new Receipt.Stored(0);
    }

    @Override
    public synchronized Receipt saveSampleBatch(CollectorId collectorId, SampleBatch batch, Instant receivedAt) {
        if (collectors.loadCollector(collectorId).isEmpty()) {
            return new Receipt.CollectorNotFound();
        }
        if (!batchIds.add(collectorId.value() + "\u0000" + batch.batchId())) {
            return new Receipt.Duplicate();
        }
        batch.samples().forEach(s -> samples.add(new StoredSample(collectorId, s)));
        return new Receipt.Stored(batch.samples().size());
    }

    @Override
    public synchronized List<FleetMember> loadFleet() {
        return List.of();
    }

    @Override
    public synchronized Optional<FleetMember> loadMember(CollectorId collectorId) {
        return loadFleet().stream().filter(m -> m.collector().id().equals(collectorId)).findFirst();
    }

    @Override
    public synchronized FleetCounts countFleet() {
        return FleetCounts.of(loadFleet());
    }

    @Override
    public synchronized List<Sample> loadSamples(CollectorId collectorId, String name, Instant since, int limit) {
        return samples.stream().filter(s -> s.collectorId().equals(collectorId))
                .map(StoredSample::sample)
                .filter(s -> s.name().equals(name) && !s.ts().isBefore(since))
                .sorted(Comparator.comparing(Sample::ts))
                .limit(limit).toList();
    }

    /** @return every stored apply report, oldest first */
    public synchronized List<ApplyReport> reports() {
        return List.copyOf(reports);
    }
}
