package io.pgfleet.archfixture.agent;

import io.pgfleet.archfixture.adapter.out.postgres.ThingPersistenceAdapter;

/** Violates: the agent imports a server adapter instead of a shared library. */
public class ThingAgent {
    private final ThingPersistenceAdapter adapter = new ThingPersistenceAdapter();

    public String thing() {
        return adapter.toString();
    }
}
