package io.pgfleet.archfixture.cycle.a;

/** Violates: no package cycles (a → b → a). */
public class A {
    public io.pgfleet.archfixture.cycle.b.B b;
}
