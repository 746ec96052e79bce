package io.pgfleet.domain.audit;

import io.pgfleet.domain.access.Username;
import io.pgfleet.domain.collector.CollectorId;

import java.util.Objects;

/**
 * What a write was done to.
 */
public sealed interface AuditSubject {

    /**
     * A collector or its configuration.
     *
     * @param collectorId the collector
     */
    record OfCollector(CollectorId collectorId) implements AuditSubject {
        /** Requires the id. */
        public OfCollector {
            Objects.requireNonNull(collectorId, "collectorId");
        }
    }

    /**
     * A user account.
     *
     * @param username the user
     */
    record OfUser(Username username) implements AuditSubject {
        /** Requires the name. */
        public OfUser {
            Objects.requireNonNull(username, "username");
        }
    }

    /** The server's own security material (signing keys). */
    record OfServer() implements AuditSubject {
    }
}
