/**
 * Benchmarks of the shipped jars, run as separate processes against an embedded PostgreSQL, and the
 * fleet simulator. etcd's client (the fan-out benchmark's anchor) is read as the automatic module
 * {@code jetcd.core}; its own dependencies (gRPC, Vert.x, Netty) stay on the class path, which an
 * automatic module reads. The launcher runs the benchmarks on the class path.
 */
module io.pgfleet.bench {
    requires io.pgfleet.adapter.out.postgres;
    requires io.pgfleet.agent;
    requires io.pgfleet.domain;
    requires io.pgfleet.testing;
    requires io.pgfleet.toml;
    requires jakarta.json;
    requires java.net.http;
    requires java.sql;
    requires java.management;
    requires jdk.management;
    requires jetcd.core;
    requires info.picocli;

    // picocli sets the benchmarks' annotated option fields reflectively.
    opens io.pgfleet.bench to info.picocli;
    opens io.pgfleet.bench.fleet to info.picocli;
}
