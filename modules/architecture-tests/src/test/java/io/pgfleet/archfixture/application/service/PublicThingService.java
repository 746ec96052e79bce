package io.pgfleet.archfixture.application.service;

import io.pgfleet.archfixture.adapter.out.postgres.ThingPersistenceAdapter;

/** Violates: services are package-private; the application depends on the domain only. */
public class PublicThingService {
    private final ThingPersistenceAdapter adapter = new ThingPersistenceAdapter();

    public String thing() {
        return adapter.toString();
    }
}
