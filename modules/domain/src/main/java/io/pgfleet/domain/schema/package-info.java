/**
 * The configuration schema of SPEC §2, the single source of truth for validation, defaults and
 * the generated reference page: {@link io.pgfleet.domain.schema.ConfigSchema} describes every
 * key, {@link io.pgfleet.domain.schema.ConfigValidator} checks a parsed document against it and
 * yields the {@link io.pgfleet.domain.schema.EffectiveConfig} an agent runs on.
 */
package io.pgfleet.domain.schema;
