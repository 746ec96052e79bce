package io.pgfleet.archfixture.adapter.in.http;

import io.pgfleet.archfixture.adapter.out.postgres.ThingPersistenceAdapter;
import io.pgfleet.archfixture.application.service.PublicThingService;

/** Violates: adapters never depend on each other, nor on services. */
public class ThingHttpService {
    private final ThingPersistenceAdapter adapter = new ThingPersistenceAdapter();
    private final PublicThingService service = new PublicThingService();

    public String both() {
        return adapter + service.thing();
    }
}
