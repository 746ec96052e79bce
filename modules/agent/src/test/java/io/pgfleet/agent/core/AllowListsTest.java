package io.pgfleet.agent.core;

import io.pgfleet.domain.schema.EffectiveConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a host allows a published configuration to use. */
class AllowListsTest {

    private static EffectiveConfig.PostgresTarget target(String host, String file, String env) {
        return new EffectiveConfig.PostgresTarget(host, 5432, "pgfleet", file, env, List.of("postgres"), "prefer");
    }

    private final AllowLists defaults = AllowLists.defaults();

    @Test
    void passwordFilesOnlyInsideAnAllowedDirectoryAndNoEscapeByDotDot() {
        assertTrue(defaults.check(target("localhost", "/etc/pgfleet/secrets/pg", "")).isEmpty());
        assertTrue(defaults.check(target("localhost", "/etc/pgfleet/secrets/../registration-secret", "")).isPresent());
        assertTrue(defaults.check(target("localhost", "/etc/pgfleet/secrets", "")).isPresent(), "the directory itself is no file");
        assertTrue(defaults.check(target("localhost", "/etc/pgfleet/secrets-other/pg", "")).isPresent());
    }

    @Test
    void variablesByNameOrPrefix() {
        assertTrue(defaults.check(target("localhost", "", "PGPASSWORD")).isEmpty());
        assertTrue(defaults.check(target("localhost", "", "PGFLEET_DB_PASSWORD")).isEmpty());
        assertTrue(defaults.check(target("localhost", "", "AWS_SECRET_ACCESS_KEY")).get().contains("allowed_password_env"));
    }

    @Test
    void hostsLoopbackLocalhostAndSocketDirectoriesByDefault() {
        for (String ok : List.of("localhost", "127.0.0.1", "127.0.0.53", "::1", "[::1]", "/var/run/postgresql", "/tmp")) {
            assertTrue(defaults.check(target(ok, "", "")).isEmpty(), ok);
        }
        for (String no : List.of("attacker.example", "10.0.0.1", "localhost.attacker.example", "/home/x")) {
            assertTrue(defaults.check(target(no, "", "")).get().contains("allowed_hosts"), no);
        }
    }

    @Test
    void pgfleetsOwnCredentialVariablesAreNeverAPasswordEvenWhenAPatternCoversThem() {
        for (String own : List.of("PGFLEET_ENROLMENT_TOKEN", "PGFLEET_REGISTRATION_SECRET", "PGFLEET_ADMIN_PASSWORD")) {
            String why = defaults.check(target("localhost", "", own)).orElseThrow(() -> new AssertionError(own));
            assertTrue(why.contains("pgfleet's own credentials"), why);
        }
        AllowLists explicit = new AllowLists(List.of("/etc/pgfleet/secrets"), List.of("PGFLEET_ENROLMENT_TOKEN"), List.of("localhost"));
        assertTrue(explicit.check(target("localhost", "", "PGFLEET_ENROLMENT_TOKEN")).isPresent());
    }

    @Test
    void aSymbolicLinkInsideAnAllowedDirectoryMayNotLeadOutOfItNorToTheAgentsOwnFiles() {
        AllowLists a = defaults.withOwnFiles(List.of("/var/lib/pgfleet-agent"));
        assertTrue(a.check(target("localhost", "/etc/pgfleet/secrets/pw", "")).isEmpty(), "as written, it is inside");
        String out = a.checkResolved("/etc/shadow", List.of("/etc/pgfleet/secrets"), List.of("/var/lib/pgfleet-agent"))
                .orElseThrow();
        assertTrue(out.contains("allowed_password_dirs") && out.contains("symbolic links") && !out.contains("exist"), out);
        AllowLists wide = new AllowLists(List.of("/var/lib"), List.of(), List.of("localhost"))
                .withOwnFiles(List.of("/var/lib/pgfleet-agent"));
        assertTrue(wide.checkResolved("/var/lib/pgfleet-agent/identity.properties", List.of("/var/lib"),
                List.of("/var/lib/pgfleet-agent")).orElseThrow().contains("the agent's own credentials"));
        assertTrue(a.checkResolved("/srv/secrets/pw", List.of("/srv/secrets"), List.of()).isEmpty(),
                "an allowed directory that is itself a link is compared by its real path");
    }
}
