package io.pgfleet.archfixture.application.port.out;

import io.pgfleet.archfixture.application.port.in.FetchThing;

/** Violates: an outgoing port uses an incoming-port type. */
public interface LoadThingPort {
    /** @return the incoming port, which an outgoing port must not know */
    FetchThing load();
}
