package io.pgfleet.adapter.out.postgres;

import io.pgfleet.domain.fleet.FleetCounts;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.LeftBehind;
import io.pgfleet.testing.TestDatabase;
import io.pgfleet.testing.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which collectors a rolled-back rollout left behind, as the fleet view and the fleet gauges say,
 * against real PostgreSQL: several rolled-back rollouts on one layer, a collector on two of them at
 * once (counted once, shown with the latest), one that has since moved on, a rollback that took every
 * member back, a completed rollout, and sources that only begin like a held one.
 */
class LeftBehindTest {

    private static PostgresStorage storage;

    @BeforeAll
    static void fleet() throws SQLException {
        TestDatabase db = TestPostgres.newDatabase();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO config_layers (layer, latest_version)
                    VALUES ('fleet', 6), ('group/eu', 3), ('group/eu-west', 3)""");
            s.execute("""
                    INSERT INTO layer_revisions (layer, version, document, content_hash, created_at, created_by, source)
                    SELECT l.layer, v, '', repeat('a', 64), now(), 'admin', 'put'
                    FROM config_layers l, generate_series(1, l.latest_version) v""");
            s.execute("""
                    INSERT INTO rollouts (id, layer, staged_version, previous_version, state, waves, bake_seconds,
                                          max_failed, apply_deadline_seconds, started_waves, wave_started_at,
                                          created_at, created_by, updated_at, not_rolled_back_total)
                    SELECT id, layer, staged, staged - 1, state, '[]'::jsonb, 60, 0, 300, 1, now(), now(), 'admin',
                           now(), not_rolled_back
                    FROM (VALUES (1, 'fleet', 3, 'rolled_back', 1), (2, 'fleet', 5, 'rolled_back', 2),
                                 (3, 'group/eu', 2, 'rolled_back', 1), (4, 'fleet', 4, 'rolled_back', 0),
                                 (5, 'group/eu-west', 3, 'completed', 0)) AS r(id, layer, staged, state, not_rolled_back)""");
            s.execute("""
                    INSERT INTO collectors (id, name, created_at, revoked_at, decommissioned_at)
                    SELECT id, id, now(), CASE WHEN id IN ('revoked', 'gone') THEN now() END,
                           CASE WHEN id = 'gone' THEN now() END
                    FROM unnest(ARRAY['on-3', 'on-5-and-eu-2', 'moved-on', 'taken-back', 'look-alike', 'completed',
                                      'eu-2-last', 'unconfigured', 'revoked', 'gone']) id""");
            s.execute("""
                    INSERT INTO effective_configs (collector_id, revision, document, content_hash, sources, created_at)
                    SELECT id, 2, '', repeat('b', 64), sources, now()
                    FROM (VALUES ('on-3', 'fleet@3, own@1'),
                                 ('on-5-and-eu-2', 'fleet@5, group/eu@2, own@2'),
                                 ('moved-on', 'fleet@6, group/eu@3, own@1'),
                                 ('taken-back', 'fleet@4, own@1'),
                                 ('look-alike', 'fleet@35, group/eu-west@2, own@3'),
                                 ('completed', 'group/eu-west@3, own@1'),
                                 ('eu-2-last', 'fleet@6, group/eu@2'),
                                 ('revoked', 'fleet@3, own@1'),
                                 ('gone', 'fleet@5, own@1')) AS e(id, sources)""");
        }
        storage = PostgresStorage.open(new DatabaseSettings(db.url(), db.user(), db.password(), 2));
    }

    @AfterAll
    static void close() {
        storage.close();
    }

    @Test
    void theViewNamesTheLatestRolloutThatLeftEachBehindAndTheGaugeCountsEachOnce() {
        List<FleetMember> fleet = storage.fleet().loadFleet();
        Map<String, String> behind = new TreeMap<>();
        for (FleetMember m : fleet) {
            behind.put(m.collector().id().value(), m.leftBehind().map(LeftBehindTest::text).orElse("-"));
        }
        assertEquals(new TreeMap<>(Map.of("on-3", "1 fleet@3", "on-5-and-eu-2", "3 group/eu@2", "moved-on", "-",
                "taken-back", "-", "look-alike", "-", "completed", "-", "eu-2-last", "3 group/eu@2",
                "unconfigured", "-", "revoked", "1 fleet@3")), behind);
        for (FleetMember m : fleet) {
            assertEquals(m.leftBehind(), storage.fleet().loadMember(m.collector().id()).orElseThrow().leftBehind(),
                    m.collector().id().value());
        }
        FleetCounts counts = storage.fleet().countFleet();
        assertEquals(3, counts.leftBehind(), counts.toString());
        assertEquals(FleetCounts.of(fleet), counts);
    }

    private static String text(LeftBehind l) {
        return l.rollout() + " " + l.staged();
    }
}
