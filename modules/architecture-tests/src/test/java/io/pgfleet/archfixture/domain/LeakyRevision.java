package io.pgfleet.archfixture.domain;

import io.helidon.http.Status;

/** Violates: the domain is pure (uses Helidon and JDBC). */
public record LeakyRevision(Status status, java.sql.Connection connection) {
}
