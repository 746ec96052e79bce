/**
 * {@link io.pgfleet.bench.WatchBenchmark} (publish → watcher latency, server heap/RSS, database
 * connections) and {@link io.pgfleet.bench.AgentFootprintBenchmark} (agent RSS and CPU).
 */
package io.pgfleet.bench;
