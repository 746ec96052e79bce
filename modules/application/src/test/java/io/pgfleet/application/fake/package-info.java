/**
 * In-memory implementations of the outgoing ports, one per aggregate, for unit tests of the use
 * cases: they keep the same promises as the PostgreSQL adapter (gap-free versions, the decision
 * taken while the history is held exclusively, audit written with the change or not at all).
 */
package io.pgfleet.application.fake;
