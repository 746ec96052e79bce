/**
 * The agent's hot-reload policy, pure: when to pull next ({@link io.pgfleet.domain.reload.PullPolicy}),
 * whether a fetched revision is applied ({@link io.pgfleet.domain.reload.ApplyPolicy}), and what a
 * new configuration changes ({@link io.pgfleet.domain.reload.ConfigChange}).
 */
package io.pgfleet.domain.reload;
