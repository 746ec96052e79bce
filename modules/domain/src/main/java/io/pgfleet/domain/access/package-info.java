/**
 * Who may do what: roles, principals and the {@link io.pgfleet.domain.access.AccessPolicy} that
 * decides every request. A collector sees only itself.
 */
package io.pgfleet.domain.access;
