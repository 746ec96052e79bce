/**
 * Implementations of the use cases, assembled by {@link io.pgfleet.application.service.UseCaseFactory}, the only
 * public class here besides the plain settings records it takes.
 */
package io.pgfleet.application.service;
