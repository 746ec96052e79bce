package io.pgfleet.application.port.in;

import io.pgfleet.domain.identity.Actor;

/**
 * Trading a refresh token for a new pair; the presented token is spent.
 */
public interface RefreshTokenUseCase {

    /**
     * Refreshes.
     *
     * @param refreshToken the token
     * @param actor        who calls, for the address recorded when a reused token is audited
     * @return a new pair, or refused (unknown, expired, reused — which revokes its family and is
     *         audited — or its user disabled or collector gone)
     */
    TokenResult refresh(String refreshToken, Actor actor);
}
