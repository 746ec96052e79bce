/**
 * The agent's own metrics, served as Prometheus text on an optional local HTTP endpoint (Micrometer's
 * Prometheus registry on the JDK's small HTTP server). Off by default; loaded only when enabled, so
 * an agent without it carries none of its classes.
 */
package io.pgfleet.agent.metrics;
