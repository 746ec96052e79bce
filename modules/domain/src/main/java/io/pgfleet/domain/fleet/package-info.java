/**
 * The fleet as the server sees it: what each agent reports it applied, the samples it pushes, and
 * whether it runs the latest configuration.
 */
package io.pgfleet.domain.fleet;
