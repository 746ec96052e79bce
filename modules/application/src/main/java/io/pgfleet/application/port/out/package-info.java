/**
 * Outgoing ports: what the use cases need from storage, each port with one purpose.
 */
package io.pgfleet.application.port.out;
