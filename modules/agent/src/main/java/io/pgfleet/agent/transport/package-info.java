/**
 * Talking to the server with Helidon WebClient: registration, token refresh, configuration pulls
 * and watches, apply reports, sample pushes.
 */
package io.pgfleet.agent.transport;
