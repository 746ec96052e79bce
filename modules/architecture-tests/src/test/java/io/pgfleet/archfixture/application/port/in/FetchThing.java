package io.pgfleet.archfixture.application.port.in;

/** Violates: incoming ports are named …UseCase or …Query. */
public interface FetchThing {
    String fetch();
}
