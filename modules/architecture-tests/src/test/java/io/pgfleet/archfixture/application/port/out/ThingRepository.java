package io.pgfleet.archfixture.application.port.out;

/** Violates: outgoing ports are named …Port. */
public interface ThingRepository {
    void save(String thing);
}
