package io.pgfleet.bench.fleet;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The named runs of the fleet simulator. Each places its events at fractions of the run; the
 * outage lengths come from the options.
 */
public enum Scenario {
    /** Agents enrol while no configuration exists at all; later the fleet layer is published twice. */
    ENROL_THEN_PUBLISH("agents enrol before any configuration exists, then fleet-wide publishes"),
    /** A configured fleet at default intervals, one fleet-wide publish halfway. */
    STEADY("steady state at default intervals, one fleet-wide publish halfway"),
    /** kill -9 of one server instance, its restart, then a publish. */
    KILL_SERVER("kill -9 of one server instance mid-run and its restart, then a fleet-wide publish"),
    /** PostgreSQL stopped and started again, then a publish. */
    PG_RESTART("a PostgreSQL restart mid-run, then a fleet-wide publish"),
    /** Every server instance gone for a while, then back, then a publish. */
    TIER_AWAY("the whole server tier away (kill -9 of every instance) for the outage, then back, then a publish"),
    /** Access tokens living 30 s: every agent refreshes about twice a minute. */
    TOKEN_EXPIRY("access tokens expire across the fleet every 30 s (access_token_ttl = 30), one publish"),
    /** The signing key rotated twice with 60 s tokens, then a publish. */
    KEY_ROTATION("the signing key rotated twice while tokens live 60 s, then a fleet-wide publish"),
    /** A group of half the fleet gets its own layer. */
    GROUP_PUBLISH("a group (env=prod, half the fleet) publishes its layer; the other half must not move"),
    /**
     * A staged rollout of the fleet layer (canaries, 50 %, 100 %) that completes, then one of a
     * version the canaries cannot apply, which must roll back before it reaches anyone else.
     */
    ROLLOUT("a staged rollout of the fleet layer (canaries, then 50 %, then 100 %) that completes; then a version the"
            + " canaries cannot apply, rolled back before any other member receives it"),
    /**
     * Half the fleet on the previous release (configuration schema 1) while a key of schema 2 is
     * published: refused naming them, forced (they refuse it and keep running; the others apply),
     * then moved to a group of upgraded hosts.
     */
    ROLLING_UPGRADE("half the agents on the previous release (schema 1) while a schema-2 key is published: refused"
            + " naming them, forced (they keep running, marked lacking; the others apply), then moved to a group of"
            + " upgraded hosts");

    private final String description;

    Scenario(String description) {
        this.description = description;
    }

    /** What the run does, in words. */
    public String description() {
        return description;
    }

    /** The name on the command line, e.g. {@code kill-server}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * A scenario by its command-line name.
     *
     * @param name e.g. {@code pg-restart}
     * @return the scenario
     */
    public static Scenario of(String name) {
        for (Scenario s : values()) {
            if (s.cliName().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + name + "'; one of " + names());
    }

    /** Every command-line name. */
    public static List<String> names() {
        return Arrays.stream(values()).map(Scenario::cliName).toList();
    }
}
