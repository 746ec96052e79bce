/**
 * The fleet simulator: hundreds to thousands of real agent cores in one JVM against real server
 * processes on one PostgreSQL, through named scenarios, each with its own report and checks.
 */
package io.pgfleet.bench.fleet;
