package io.pgfleet.application.port.in;

/**
 * Trading a refresh token for a new pair; the presented token is spent.
 */
public interface RefreshTokenUseCase {

    /**
     * Refreshes.
     *
     * @param refreshToken the token
     * @return a new pair, or refused (unknown, expired, reused — which revokes its family — or its
     *         user disabled or collector gone)
     */
    TokenResult refresh(String refreshToken);
}
