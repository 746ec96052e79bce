/**
 * Architecture rules, parameterised by the root package so that each can be run against the
 * product and against deliberately violating fixtures.
 */
package io.pgfleet.architecture;
