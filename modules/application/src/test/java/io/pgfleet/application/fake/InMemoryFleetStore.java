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
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;

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

    private record StoredSample(CollectorId collectorId, String batchId, Sample sample) {

        /** The sample's place in the read order, but for its repeat. */
        String key() {
            return sample.ts() + " " + sample.name() + " " + batchId + " " + digest(sample.labels());
        }
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
        batch.samples().forEach(s -> samples.add(new StoredSample(collectorId, batch.batchId(), s)));
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
    public synchronized SamplePage loadSamples(CollectorId collectorId, String name, Instant since,
                                               Optional<SamplePosition> after, int limit) {
        // The adapter's order (time, name, batch, labels digest, then labels and value), with
        // positions counted the same way; no text bound.
        List<StoredSample> ordered = samples.stream().filter(s -> s.collectorId().equals(collectorId))
                .sorted(Comparator.comparing((StoredSample s) -> s.sample().ts())
                        .thenComparing(s -> s.sample().name()).thenComparing(StoredSample::batchId)
                        .thenComparing(s -> digest(s.sample().labels()))
                        .thenComparing(s -> s.sample().labels().toString())
                        .thenComparingDouble(s -> s.sample().value()))
                .toList();
        List<Sample> page = new ArrayList<>();
        Optional<SamplePosition> last = Optional.empty();
        boolean more = false;
        int repeat = 0;
        String previous = "";
        for (StoredSample s : ordered) {
            repeat = s.key().equals(previous) ? repeat + 1 : 1;
            previous = s.key();
            SamplePosition at = new SamplePosition(s.sample().ts(), s.sample().name(), s.batchId(),
                    digest(s.sample().labels()), repeat);
            if (after.isPresent() && POSITIONS.compare(at, after.get()) <= 0
                    || !(name.isEmpty() || s.sample().name().equals(name)) || s.sample().ts().isBefore(since)) {
                continue;
            }
            if (page.size() == limit) {
                more = true;
                break;
            }
            page.add(s.sample());
            last = Optional.of(at);
        }
        return new SamplePage(page, last, more);
    }

    private static final Comparator<SamplePosition> POSITIONS = Comparator.comparing(SamplePosition::ts)
            .thenComparing(SamplePosition::name).thenComparing(SamplePosition::batchId)
            .thenComparing(SamplePosition::labelsDigest).thenComparingInt(SamplePosition::repeat);

    private static String digest(java.util.Map<String, String> labels) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(new java.util.TreeMap<>(labels).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return every stored apply report, oldest first */
    public synchronized List<ApplyReport> reports() {
        return List.copyOf(reports);
    }
}
