/**
 * Tokens and passwords: JWT access tokens signed with the shared keys (helidon-security-jwt) and
 * PBKDF2 password hashes.
 */
module io.pgfleet.adapter.out.security {
    requires io.pgfleet.application;
    requires io.helidon.security.jwt;
    requires io.helidon.common;
    requires jakarta.json;

    exports io.pgfleet.adapter.out.security;
}
