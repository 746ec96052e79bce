/**
 * Security adapter: {@link io.pgfleet.adapter.out.security.JwtAccessTokens} and
 * {@link io.pgfleet.adapter.out.security.Pbkdf2PasswordHasher}.
 */
package io.pgfleet.adapter.out.security;
