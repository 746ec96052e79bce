/**
 * Versioned configurations: immutable revisions numbered 1, 2, 3 … per collector, and the
 * publishing rules (optimistic concurrency, identical re-publish) in {@link io.pgfleet.domain.config.ConfigHistory}.
 */
package io.pgfleet.domain.config;
