/**
 * Benchmarks of the shipped jars, run as separate processes against an embedded PostgreSQL, and
 * the fleet simulator (real agent cores in this JVM).
 */
module io.pgfleet.bench {
    requires io.pgfleet.adapter.out.postgres;
    requires io.pgfleet.testing;
    requires io.pgfleet.agent;
    requires io.pgfleet.toml;
    requires io.pgfleet.application;
    requires java.net.http;
    requires java.sql;
    requires java.management;
    requires jdk.management;

    exports io.pgfleet.bench.fleet;
}
