package io.pgfleet.archfixture.adapter.out.postgres;

/** A plain adapter class, the target of the violations below. */
public class ThingPersistenceAdapter {
}
