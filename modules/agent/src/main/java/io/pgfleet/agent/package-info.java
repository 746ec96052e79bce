/**
 * The agent's composition root and orchestration: {@link io.pgfleet.agent.AgentMain} reads the
 * local file, {@link io.pgfleet.agent.Agent} pulls, applies (the domain's hot-reload policy),
 * reports and pushes.
 */
package io.pgfleet.agent;
