package io.pgfleet.application.service;

import io.pgfleet.application.port.in.RevokeCollectorUseCase;
import io.pgfleet.application.port.in.RevokeCollectorUseCase.RevokeResult;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.application.port.out.RevokeCollectorPort;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.identity.Actor;

import java.time.Clock;
import java.time.Instant;

final class RevokeCollectorService implements RevokeCollectorUseCase {

    private final RevokeCollectorPort revoke;
    private final RefreshTokenStorePort refreshTokens;
    private final Clock clock;
    private final ActivePrincipals active;

    RevokeCollectorService(RevokeCollectorPort revoke, RefreshTokenStorePort refreshTokens, Clock clock,
                           ActivePrincipals active) {
        this.active = active;
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
        }
        // "Nothing live has the id": DecommissionedIds tells a decommissioned collector's id apart.
        return done ? new RevokeResult.Revoked() : new RevokeResult.CollectorNotFound(collectorId);
    }
}
