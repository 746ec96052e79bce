/**
 * Incoming ports: the use cases the control plane offers to its driving adapters (HTTP).
 */
package io.pgfleet.application.port.in;
