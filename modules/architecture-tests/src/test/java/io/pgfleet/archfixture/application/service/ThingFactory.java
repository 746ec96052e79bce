package io.pgfleet.archfixture.application.service;

/** Allowed: the factory is the service package's one public entry point. */
public final class ThingFactory {

    private ThingFactory() {
    }
}
