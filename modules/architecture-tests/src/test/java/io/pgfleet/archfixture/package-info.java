/**
 * Deliberately broken code: each class breaks one architecture rule, so that the rules are shown
 * to fail. Never imported by the product's checks.
 */
package io.pgfleet.archfixture;
