package io.pgfleet.application.service;

import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.application.port.in.PushMetricsUseCase;
import io.pgfleet.application.port.in.ReportStatusUseCase;
import io.pgfleet.application.port.out.CountFleetPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadFleetPort;
import io.pgfleet.application.port.out.SaveApplyReportPort;
import io.pgfleet.application.port.out.SaveSampleBatchPort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.ApplyReport;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.FleetCounts;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.SampleBatch;
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;
import io.pgfleet.domain.fleet.SampleRate;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

final class FleetService implements ReportStatusUseCase, PushMetricsUseCase, FleetQuery {

    private final SaveApplyReportPort reports;
    private final SaveSampleBatchPort batches;
    private final LoadFleetPort fleet;
    private final CountFleetPort counts;
    private final LoadCollectorPort collectors;
    private final Clock clock;
    private final SampleRateLimiter limiter;

    FleetService(SaveApplyReportPort reports, SaveSampleBatchPort batches, LoadFleetPort fleet, CountFleetPort counts,
                 LoadCollectorPort collectors, Clock clock) {
        this(reports, batches, fleet, counts, collectors, clock, new SampleRateLimiter(SampleRate.defaults()));
    }

    FleetService(SaveApplyReportPort reports, SaveSampleBatchPort batches, LoadFleetPort fleet, CountFleetPort counts,
                 LoadCollectorPort collectors, Clock clock, SampleRateLimiter limiter) {
        this.limiter = limiter;
        this.reports = reports;
        this.batches = batches;
        this.fleet = fleet;
        this.counts = counts;
        this.collectors = collectors;
        this.clock = clock;
    }

    @Override
    public Receipt report(CollectorId collectorId, int version, ApplyStatus status, String error,
                          String effectiveSha256,
                          java.util.Optional<io.pgfleet.domain.fleet.HostAllowances> allowances, String agentVersion,
                          java.util.Optional<io.pgfleet.domain.fleet.HostFacts> facts) {
        ApplyReport report = new ApplyReport(collectorId, version, status, error, effectiveSha256, clock.instant(),
                allowances, agentVersion, facts);
        return reports.saveApplyReport(report);
    }

    @Override
    public Receipt push(CollectorId collectorId, SampleBatch batch) {
        java.time.Instant now = clock.instant();
        int cost = SampleRate.cost(batch.samples().size());
        java.util.Optional<? extends Receipt> refused = batch.firstRefusedLabel();
        if (refused.isEmpty()) {
            refused = batch.firstRepeatedPoint();
        }
        if (refused.isEmpty()) {
            refused = batch.firstTooFarAhead(now).map(s -> new Receipt.TooFarAhead(s.ts(), now));
        }
        if (refused.isEmpty() && batch.series() > SampleBatch.MAX_SERIES) {
            refused = java.util.Optional.of(new Receipt.TooManySeries(batch.series()));
        }
        if (refused.isPresent()) {
            // Reading a refused batch cost what reading a stored one does: it is taken from the allowance
            // as well, and kept, so that a broken or hostile collector cannot have batch after batch read
            // for free; once its allowance no longer holds one, it is answered as any push beyond the rate.
            java.util.Optional<java.time.Duration> spent = limiter.take(collectorId, cost, now);
            return spent.isPresent() ? new Receipt.RateExceeded(spent.get(), limiter.rate()) : refused.get();
        }
        // Taken before the database is asked anything, given back when nothing was stored (a
        // retried batch stored before, a failure): only stored samples use the allowance.
        java.util.Optional<java.time.Duration> wait = limiter.take(collectorId, cost, now);
        if (wait.isPresent()) {
            return new Receipt.RateExceeded(wait.get(), limiter.rate());
        }
        Receipt receipt = null;
        try {
            receipt = batches.saveSampleBatch(collectorId, batch, now);
            return receipt;
        } finally {
            if (!(receipt instanceof Receipt.Stored)) {
                limiter.giveBack(collectorId, cost, clock.instant());
            }
        }
    }

    @Override
    public java.util.Optional<Receipt.RateExceeded> unreadable(CollectorId collectorId, long bytes) {
        return limiter.take(collectorId, SampleRate.unreadCost(bytes), clock.instant())
                .map(wait -> new Receipt.RateExceeded(wait, limiter.rate()));
    }

    @Override
    public List<FleetMember> fleet() {
        return fleet.loadFleet();
    }

    @Override
    public MemberLookup member(CollectorId collectorId) {
        return fleet.loadMember(collectorId).<MemberLookup>map(MemberLookup.Found::new)
                // Only a missing collector costs the second query.
                .orElseGet(() -> collectors.loadDecommissionedAt(collectorId)
                        .<MemberLookup>map(MemberLookup.Decommissioned::new)
                        .orElseGet(MemberLookup.NotFound::new));
    }

    @Override
    public FleetCounts counts() {
        return counts.countFleet();
    }

    @Override
    public Optional<SamplePage> samples(CollectorId collectorId, String name, Instant since,
                                        Optional<SamplePosition> after, int limit) {
        if (limit < 1 || limit > MAX_SAMPLES) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_SAMPLES);
        }
        // A read of one metric goes on after a sample of that metric: another's position is no place in it.
        if (!name.isEmpty() && after.isPresent() && !after.get().name().equals(name)) {
            throw new IllegalArgumentException("the position is one of the metric '" + after.get().name()
                    + "', not of '" + name + "'");
        }
        if (collectors.loadCollector(collectorId).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(fleet.loadSamples(collectorId, name, since, after, limit));
    }
}
