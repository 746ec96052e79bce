/**
 * Small value helpers shared by the domain's packages.
 */
package io.pgfleet.domain.common;
