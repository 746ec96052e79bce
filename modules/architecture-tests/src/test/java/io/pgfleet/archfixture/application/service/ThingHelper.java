package io.pgfleet.archfixture.application.service;

/** Violates: a public class in the service package, named so that a suffix rule would miss it. */
public final class ThingHelper {

    private ThingHelper() {
    }
}
