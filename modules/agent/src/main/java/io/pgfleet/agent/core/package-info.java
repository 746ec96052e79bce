/**
 * The agent's core: pull/watch, apply, report, collect and push, written against ports only
 * ({@link io.pgfleet.agent.core.ConfigSource}, {@link io.pgfleet.agent.core.StatusReporter},
 * {@link io.pgfleet.agent.core.SampleSink}, {@link io.pgfleet.agent.core.Scheduler} …). It holds no
 * thread, socket or file of its own, so many cores can run in one JVM with fake collectors, and its
 * unit tests drive it with a controllable clock.
 */
package io.pgfleet.agent.core;
