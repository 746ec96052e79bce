/**
 * What each host can run: the facts its agent reports (agent schema version, PostgreSQL version,
 * extensions, preloaded libraries, databases, allow-lists), and the check of an effective
 * configuration against them that refuses a publish a member could not apply.
 */
package io.pgfleet.domain.capability;
