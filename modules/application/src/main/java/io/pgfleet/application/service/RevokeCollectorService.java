package io.pgfleet.application.service;

import io.pgfleet.application.port.in.RevokeCollectorUseCase;
import io.pgfleet.application.port.in.RevokeCollectorUseCase.RevokeResult;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.application.port.out.RevokeCollectorPort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Clock;
import java.time.Instant;

/**
 * Revokes a collector's access; a decommissioned collector's id is answered
 * {@link RevokeResult.Decommissioned}, told apart on the refusal's path only.
 */
final class RevokeCollectorService implements RevokeCollectorUseCase {

    private final RevokeCollectorPort revoke;
    private final RefreshTokenStorePort refreshTokens;
    private final Clock clock;
    private final ActivePrincipals active;
    private final LoadCollectorPort collectors;

    RevokeCollectorService(RevokeCollectorPort revoke, RefreshTokenStorePort refreshTokens, Clock clock,
                           ActivePrincipals active, LoadCollectorPort collectors) {
        this.active = active;
        this.collectors = collectors;
        this.revoke = revoke;
        this.refreshTokens = refreshTokens;
        this.clock = clock;
    }

    @Override
    public RevokeResult revokeCollector(CollectorId collectorId, Actor actor) {
        Instant now = clock.instant();
        boolean done = revoke.revokeCollector(collectorId, now, new AuditEntry(now, actor, AuditAction.COLLECTOR_REVOKED,
                new AuditSubject.OfCollector(collectorId), 0, "access revoked"));
        if (done) {
            refreshTokens.revokeRefreshTokensOfCollector(collectorId, now);
            active.forget(collectorId.value());
            return new RevokeResult.Revoked();
        }
        // The store answers "nothing live has the id" for an unknown and a decommissioned collector
        // alike; only this refusal pays for the read that tells them apart.
        return collectors.loadDecommissionedAt(collectorId)
                .<RevokeResult>map(at -> new RevokeResult.Decommissioned(collectorId, at))
                .orElseGet(() -> new RevokeResult.CollectorNotFound(collectorId));
    }
}
