/**
 * Benchmarks of the shipped jars, run as separate processes against an embedded PostgreSQL.
 */
module io.pgfleet.bench {
    requires io.pgfleet.adapter.out.postgres;
    requires io.pgfleet.testing;
    requires java.net.http;
    requires java.sql;
}
