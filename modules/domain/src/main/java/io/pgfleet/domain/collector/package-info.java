/**
 * Collectors: the monitoring agents of a fleet, identified by a {@link io.pgfleet.domain.collector.CollectorId}.
 */
package io.pgfleet.domain.collector;
