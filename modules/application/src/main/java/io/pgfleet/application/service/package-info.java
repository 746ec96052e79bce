/**
 * Implementations of the use cases, assembled by {@link io.pgfleet.application.service.ApplicationServices}.
 */
package io.pgfleet.application.service;
