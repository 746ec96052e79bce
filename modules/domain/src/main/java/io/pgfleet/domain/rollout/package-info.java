/**
 * Staged rollouts of a shared layer version: waves planned over the layer's members, each wave
 * judged by its members' own apply reports, and the decision to go on, complete or roll back.
 * Pure: time comes in as an argument, so every rule is testable with a clock the test controls.
 */
package io.pgfleet.domain.rollout;
