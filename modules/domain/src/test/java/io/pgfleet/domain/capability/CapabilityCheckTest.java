package io.pgfleet.domain.capability;

import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.CapabilityGap.Capability;
import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CapabilityCheckTest {

    private static final Set<String> STATEMENTS_ON = Set.of("collectors.pg_stat_statements.enabled");

    private static EffectiveConfig config(boolean statements, EffectiveConfig.PostgresTarget target) {
        EffectiveConfig d = EffectiveConfig.defaults();
        Map<CollectorKind, EffectiveConfig.Schedule> s = new EnumMap<>(d.collectors());
        s.put(CollectorKind.PG_STAT_STATEMENTS, new EffectiveConfig.Schedule(statements, Duration.ofSeconds(60)));
        return new EffectiveConfig(d.pullInterval(), d.pushInterval(), d.watch(), target, s, d.diskPaths());
    }

    private static EffectiveConfig statements() {
        return config(true, EffectiveConfig.defaults().postgres());
    }

    private static EffectiveConfig.PostgresTarget target(String host, String file, String env, List<String> dbs) {
        return new EffectiveConfig.PostgresTarget(host, 5432, "postgres", file, env, dbs, "prefer");
    }

    private static HostFacts.PostgresFacts pg(int version, List<String> preload, List<String> extensions) {
        return new HostFacts.PostgresFacts("localhost", 5432, version, preload, List.of("postgres", "app"), false,
                Map.of("postgres", extensions));
    }

    private static MemberFacts member(int schema, Optional<HostFacts.PostgresFacts> pg) {
        return new MemberFacts(new HostFacts(schema, "Linux", pg), Optional.empty(), "0.9.0");
    }

    private static List<Capability> kinds(List<CapabilityGap> gaps) {
        return gaps.stream().map(CapabilityGap::capability).toList();
    }

    @Test
    void aHostWithTheExtensionPreloadedOnARecentServerLacksNothing() {
        MemberFacts ok = member(2, Optional.of(pg(160_001, List.of("pg_stat_statements"),
                List.of("plpgsql", "pg_stat_statements"))));
        assertEquals(List.of(), CapabilityCheck.check(STATEMENTS_ON, statements(), ok));
    }

    @Test
    void aMissingExtensionIsAGapNamingTheDatabaseAndTheKey() {
        MemberFacts lacking = member(2, Optional.of(pg(160_001, List.of("pg_stat_statements"), List.of("plpgsql"))));
        List<CapabilityGap> gaps = CapabilityCheck.check(STATEMENTS_ON, statements(), lacking);
        assertEquals(List.of(Capability.EXTENSION), kinds(gaps));
        assertEquals("collectors.pg_stat_statements.enabled", gaps.get(0).key());
        assertTrue(gaps.get(0).message().contains("pg_stat_statements in database postgres"), gaps.get(0).message());
    }

    @Test
    void anOldServerAndNoPreloadAreGapsToo() {
        MemberFacts old = member(2, Optional.of(pg(120_011, List.of(), List.of("pg_stat_statements"))));
        assertEquals(List.of(Capability.SERVER_VERSION, Capability.PRELOAD_LIBRARY),
                kinds(CapabilityCheck.check(STATEMENTS_ON, statements(), old)));
    }

    @Test
    void aDisabledCollectorNeedsNothing() {
        MemberFacts bare = member(1, Optional.of(pg(110_000, List.of(), List.of())));
        assertEquals(List.of(), CapabilityCheck.check(Set.of(), config(false, EffectiveConfig.defaults().postgres()), bare));
    }

    @Test
    void anOldAgentSchemaRefusesOnlyKeysALayerSets() {
        MemberFacts old = member(1, Optional.empty());
        List<CapabilityGap> gaps = CapabilityCheck.check(Set.of("collectors.pg_stat_statements.top"),
                config(false, EffectiveConfig.defaults().postgres()), old);
        assertEquals(List.of(Capability.AGENT_SCHEMA), kinds(gaps));
        assertTrue(gaps.get(0).message().contains("schema 2") && gaps.get(0).message().contains("understands 1"),
                gaps.get(0).message());
        assertEquals(List.of(), CapabilityCheck.check(Set.of("collector.push_interval"), EffectiveConfig.defaults(), old));
    }

    @Test
    void aDatabaseThatDoesNotExistIsAGapUnlessTheListWasTrimmed() {
        EffectiveConfig cfg = config(false, target("localhost", "", "", List.of("postgres", "missing")));
        MemberFacts m = member(2, Optional.of(pg(160_000, List.of(), List.of())));
        assertEquals(List.of(Capability.DATABASE), kinds(CapabilityCheck.check(Set.of(), cfg, m)));
        MemberFacts trimmed = member(2, Optional.of(new HostFacts.PostgresFacts("localhost", 5432, 160_000, List.of(),
                List.of("postgres"), true, Map.of())));
        assertEquals(List.of(), CapabilityCheck.check(Set.of(), cfg, trimmed));
    }

    @Test
    void factsAboutAnotherServerSayNothing() {
        EffectiveConfig elsewhere = config(true, target("127.0.0.2", "", "", List.of("nowhere")));
        MemberFacts lacking = member(2, Optional.of(pg(100_000, List.of(), List.of())));
        assertEquals(List.of(), CapabilityCheck.check(STATEMENTS_ON, elsewhere, lacking));
    }

    @Test
    void aDatabaseWhoseExtensionsAreUnknownIsNotRefused() {
        EffectiveConfig onApp = config(true, target("localhost", "", "", List.of("app")));
        MemberFacts m = member(2, Optional.of(pg(160_000, List.of("pg_stat_statements"), List.of())));
        assertEquals(List.of(), CapabilityCheck.check(STATEMENTS_ON, onApp, m));
    }

    @Test
    void allowListsAreCheckedAsTheAgentChecksThem() {
        HostAllowances a = new HostAllowances(List.of("/etc/pgfleet/secrets"), List.of("PGPASSWORD", "PGFLEET_*"),
                List.of("localhost", "127.0.0.1"));
        MemberFacts m = new MemberFacts(new HostFacts(2, "Linux", Optional.empty()), Optional.of(a), "");
        EffectiveConfig outside = config(false, target("db.example", "/etc/pgfleet/secrets/../../shadow", "HOME",
                List.of("postgres")));
        assertEquals(List.of(Capability.PASSWORD_DIR, Capability.PASSWORD_ENV, Capability.HOST),
                kinds(CapabilityCheck.check(Set.of(), outside, m)));
        EffectiveConfig inside = config(false, target("127.0.0.5", "/etc/pgfleet/secrets/./db.pw", "PGFLEET_DB",
                List.of("postgres")));
        assertEquals(List.of(), CapabilityCheck.check(Set.of(), inside, m));
        assertFalse(CapabilityCheck.inside("/etc/pgfleet/secrets", List.of("/etc/pgfleet/secrets")), "the directory itself");
        assertFalse(CapabilityCheck.inside("/etc/pgfleet/secretsX/pw", List.of("/etc/pgfleet/secrets")));
    }

    @Test
    void factsAreBounded() {
        assertThrows(IllegalArgumentException.class, () -> new HostFacts(0, "Linux", Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new HostFacts(2, "x".repeat(129), Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new HostFacts(2, "a\nb", Optional.empty()));
        List<String> many = java.util.stream.IntStream.range(0, HostFacts.MAX_EXTENSIONS + 1).mapToObj(i -> "e" + i).toList();
        assertThrows(IllegalArgumentException.class, () -> pg(160_000, List.of(), many));
        assertThrows(IllegalArgumentException.class, () -> pg(160_000, List.of("x".repeat(64)), List.of()));
        assertThrows(IllegalArgumentException.class, () -> pg(160_000, List.of(), List.of("")));
        assertThrows(IllegalArgumentException.class, () -> pg(160_000, List.of("pg_\u202Estat"), List.of()),
                "a right-to-left override would disguise a name");
    }

    @Test
    void theHashOfAConfigurationWithoutNewKeysIsWhatOlderAgentsComputed() {
        // The canonical text of the defaults as agents of schema 1 computed it: no pg_stat_statements lines.
        assertFalse(EffectiveConfig.defaults().canonical().contains("pg_stat_statements"));
        assertTrue(statements().canonical().contains("collectors.pg_stat_statements.enabled = true"));
    }
}
