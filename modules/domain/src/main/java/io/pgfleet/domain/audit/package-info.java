/**
 * The audit trail: who changed what, when and from where.
 */
package io.pgfleet.domain.audit;
