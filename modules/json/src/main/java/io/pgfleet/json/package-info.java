/**
 * JSON (JSON-P) forms of domain values shared by the agent and the server's adapters.
 */
package io.pgfleet.json;
