package io.pgfleet.archfixture.cycle.b;

/** Violates: no package cycles (b → a → b). */
public class B {
    public io.pgfleet.archfixture.cycle.a.A a;
}
