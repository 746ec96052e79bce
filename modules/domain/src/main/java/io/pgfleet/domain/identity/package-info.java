/**
 * Who acts on the control plane: the {@link io.pgfleet.domain.identity.Actor} recorded with every write.
 */
package io.pgfleet.domain.identity;
