/**
 * Metric collection: PostgreSQL ({@code pg_stat_database}, {@code pg_stat_activity}, {@code pg_locks})
 * and host ({@code /proc}, file systems) collectors, scheduled each on its own interval and
 * rescheduled live, into a bounded buffer.
 */
package io.pgfleet.agent.collect;
