package io.pgfleet.application.port.out;

import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.PublishResult;

import java.util.Optional;
import java.util.function.Function;

/**
 * Appends a revision to a collector's history, race-free, with its audit entry.
 */
public interface AppendConfigRevisionPort {

    /**
     * Holds the collector's history exclusively, hands its latest revision to {@code decision},
     * and stores the revision of a {@link PublishResult.Published} outcome together with its
     * audit entry before releasing it, so that concurrent publishers get consecutive versions and
     * every stored version has exactly one audit entry. Any other outcome stores nothing.
     *
     * @param collectorId the collector
     * @param decision    decides the outcome from the latest revision
     * @param audit       the audit entry of a published revision
     * @return the decision's outcome, or {@link PublishResult.CollectorNotFound} when the collector is unknown
     */
    PublishResult append(CollectorId collectorId, Function<Optional<ConfigRevision>, PublishResult> decision,
                         Function<ConfigRevision, AuditEntry> audit);
}
