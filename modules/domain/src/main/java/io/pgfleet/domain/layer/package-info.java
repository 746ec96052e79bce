/**
 * Fleet configuration layers: the fleet layer, label-selected groups and each collector's own
 * layer, merged in order into the effective document an agent receives, with per-key provenance.
 */
package io.pgfleet.domain.layer;
