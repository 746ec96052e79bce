/**
 * Composition root of the server: {@link io.pgfleet.server.Main} and {@link io.pgfleet.server.PgfleetServer}
 * wire everything with plain constructors.
 */
package io.pgfleet.server;
