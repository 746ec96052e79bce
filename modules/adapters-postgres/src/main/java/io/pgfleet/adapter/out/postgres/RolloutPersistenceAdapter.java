package io.pgfleet.adapter.out.postgres;

import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.LoadRolloutsPort;
import io.pgfleet.application.port.out.RolloutLeasePort;
import io.pgfleet.application.port.out.RolloutStorePort;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.rollout.Ending;
import io.pgfleet.domain.rollout.MemberFailure;
import io.pgfleet.domain.rollout.MemberObservation;
import io.pgfleet.domain.rollout.PlannedWave;
import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutId;
import io.pgfleet.domain.rollout.RolloutPolicy;
import io.pgfleet.domain.rollout.RolloutState;
import io.pgfleet.domain.rollout.TimelineEvent;
import io.pgfleet.domain.rollout.WaveCounts;
import io.pgfleet.domain.rollout.WaveSpec;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Rollouts, their wave plans and timelines ({@code rollouts}, {@code rollout_members},
 * {@code rollout_events}) and the driver's lease ({@code rollout_lease}).
 *
 * <p>A rollout step runs in the same kind of transaction as a layer change (it is one: its view
 * extends the layer adapter's), so its layer version, effective revisions, audit entry and the
 * rollout's new state are committed together. One active rollout per layer is also a unique index,
 * whatever instances race.
 */
public final class RolloutPersistenceAdapter implements RolloutStorePort, LoadRolloutsPort, RolloutLeasePort {

    private static final String COLUMNS = "id, layer, staged_version, previous_version, state, waves::text AS waves,"
            + " bake_seconds, max_failed, apply_deadline_seconds, started_waves, wave_started_at,"
            // A row a release before V34 wrote for this wave (or a wave an instance of that release
            // started) has no began time of its own for it: its start, as that release kept it, is it.
            + " CASE WHEN wave_began = started_waves THEN wave_began_at ELSE wave_started_at END AS wave_began_at,"
            + " results::text AS results,"
            + " created_at, created_by, message, coalesce(ended_at, created_at) AS ended_at, reason,"
            + " failures::text AS failures, not_rolled_back::text AS not_rolled_back, not_rolled_back_total";

    private final DbClient db;
    private final DocumentCache documents;

    RolloutPersistenceAdapter(DbClient db, DocumentCache documents) {
        this.db = db;
        this.documents = documents;
    }

    @Override
    public <T> T transact(Function<RolloutStorePort.Transaction, LayerStorePort.Outcome<T>> work) {
        return LayerPersistenceAdapter.transact(db, "running a rollout step", t -> new Tx(t, documents), work);
    }

    // ---- reads

    @Override
    public Optional<Rollout> loadRollout(RolloutId id) {
        return Rows.guard("loading rollout " + id, () -> rollout(db.execute(), id, false));
    }

    @Override
    public List<Rollout> loadRollouts(Optional<RolloutState> state, long before, int limit) {
        return Rows.guard("listing rollouts", () -> {
            DbExecute exec = db.execute();
            List<Long> ids = exec.query("SELECT id FROM rollouts WHERE (? = '' OR state = ?) AND id < ?"
                                    + " ORDER BY id DESC LIMIT ?",
                            state.map(RolloutState::label).orElse(""), state.map(RolloutState::label).orElse(""), before,
                            limit)
                    .map(r -> ((Number) r.column("id").get()).longValue()).toList();
            List<Rollout> out = new ArrayList<>();
            for (long id : ids) {
                rollout(exec, new RolloutId(id), false).ifPresent(out::add);
            }
            return out;
        });
    }

    @Override
    public List<RolloutId> loadActiveRollouts() {
        return Rows.guard("listing active rollouts", () -> db.execute()
                .query("SELECT id FROM rollouts WHERE state IN ('running', 'paused') ORDER BY id")
                .map(r -> new RolloutId(((Number) r.column("id").get()).longValue())).toList());
    }

    @Override
    public List<TimelineEvent> loadTimeline(RolloutId id, int limit) {
        return Rows.guard("loading the timeline of rollout " + id, () -> db.execute()
                .query("SELECT at, kind, detail, by_whom FROM (SELECT * FROM rollout_events WHERE rollout_id = ?"
                        + " ORDER BY seq DESC LIMIT ?) e ORDER BY seq", id.value(), limit)
                .map(r -> new TimelineEvent(Rows.instant(r, "at"), Rows.text(r, "kind"), Rows.text(r, "detail"),
                        Rows.text(r, "by_whom")))
                .toList());
    }

    @Override
    public Optional<String> loadDriver(RolloutId id) {
        // An active rollout is driven by whoever holds the lease now, though it may not have moved it
        // yet (a wave baking, or waiting for reports); without a live lease, the last to move or start it.
        return Rows.guard("loading rollout " + id, () -> db.execute()
                .get("""
                        SELECT COALESCE(CASE WHEN r.state IN ('running', 'paused') THEN (SELECT l.holder FROM rollout_lease l
                                   WHERE l.name = 'driver' AND l.expires_at > now()) END, r.driver) AS driver
                        FROM rollouts r WHERE r.id = ?""", id.value())
                .map(r -> Rows.text(r, "driver")).filter(d -> !d.isEmpty()));
    }

    @Override
    public Map<CollectorId, MemberObservation> observe(Collection<CollectorId> ids) {
        return Rows.guard("reading apply reports", () -> observe(db.execute(), ids));
    }

    // ---- the lease

    @Override
    public boolean lead(String instance, Duration ttl) {
        // The statement answers one row or none; the stream is closed so its connection goes back at once.
        return Rows.guard("taking the rollout driver's lease", () -> isPresent(db.execute().query("""
                        INSERT INTO rollout_lease AS l (name, holder, expires_at)
                        VALUES ('driver', ?, now() + make_interval(secs => ?))
                        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                        WHERE l.holder = excluded.holder OR l.expires_at < now()
                        RETURNING holder""", instance, ttl.toMillis() / 1000.0)));
    }

    private static boolean isPresent(java.util.stream.Stream<DbRow> rows) {
        try (rows) {
            return rows.findAny().isPresent();
        }
    }

    @Override
    public void release(String instance) {
        Rows.guard("releasing the rollout driver's lease", () -> db.execute()
                .update("UPDATE rollout_lease SET expires_at = now() - interval '1 second' WHERE holder = ?", instance));
    }

    // ---- rows

    private static Optional<Rollout> rollout(DbExecute exec, RolloutId id, boolean lock) {
        Optional<DbRow> row = exec.get("SELECT " + COLUMNS + " FROM rollouts WHERE id = ?" + (lock ? " FOR UPDATE" : ""),
                id.value());
        if (row.isEmpty()) {
            return Optional.empty();
        }
        DbRow r = row.get();
        List<WaveSpec> specs = new ArrayList<>();
        for (JsonValue v : array(Rows.text(r, "waves"))) {
            JsonObject o = v.asJsonObject();
            if (o.containsKey("percent")) {
                specs.add(new WaveSpec.ByPercent(o.getInt("percent")));
            } else {
                Map<String, String> labels = new HashMap<>();
                o.getJsonObject("selector").forEach((k, x) -> labels.put(k, ((jakarta.json.JsonString) x).getString()));
                specs.add(new WaveSpec.BySelector(new LabelSelector(labels)));
            }
        }
        List<List<CollectorId>> members = new ArrayList<>();
        List<List<CollectorId>> skipped = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            members.add(new ArrayList<>());
            skipped.add(new ArrayList<>());
        }
        exec.query("SELECT collector_id, wave, skipped FROM rollout_members WHERE rollout_id = ? ORDER BY wave, position",
                id.value()).forEach(m -> (m.column("skipped").get(Boolean.class) ? skipped : members)
                .get(Rows.integer(m, "wave")).add(CollectorId.of(Rows.text(m, "collector_id"))));
        List<PlannedWave> plan = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            plan.add(new PlannedWave(members.get(i), skipped.get(i)));
        }
        List<WaveCounts> results = new ArrayList<>();
        for (JsonValue v : array(Rows.text(r, "results"))) {
            JsonObject o = v.asJsonObject();
            results.add(new WaveCounts(o.getInt("applied"), o.getInt("failed"), o.getInt("pending"), o.getInt("skipped")));
        }
        RolloutState state = RolloutState.parse(Rows.text(r, "state"));
        Optional<Ending> ending = Optional.empty();
        if (!state.active()) {
            List<MemberFailure> notRolledBack = memberFailures(Rows.text(r, "not_rolled_back"));
            ending = Optional.of(new Ending(Rows.instant(r, "ended_at"), Rows.text(r, "reason"),
                    memberFailures(Rows.text(r, "failures")), notRolledBack,
                    Math.max(notRolledBack.size(), Rows.integer(r, "not_rolled_back_total"))));
        }
        int previous = Rows.integer(r, "previous_version");
        return Optional.of(new Rollout(id, LayerPersistenceAdapter.layerId(Rows.text(r, "layer")),
                new ConfigVersion(Rows.integer(r, "staged_version")),
                previous == 0 ? Optional.empty() : Optional.of(new ConfigVersion(previous)),
                new RolloutPolicy(specs, Rows.integer(r, "bake_seconds"), Rows.integer(r, "max_failed"),
                        Rows.integer(r, "apply_deadline_seconds")),
                plan, state, Rows.integer(r, "started_waves"), Rows.instant(r, "wave_started_at"),
                Rows.instant(r, "wave_began_at"), results,
                Rows.instant(r, "created_at"), Rows.text(r, "created_by"), Rows.text(r, "message"), ending));
    }

    private static JsonArray array(String json) {
        try (jakarta.json.JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readArray();
        }
    }

    private static String ids(Collection<CollectorId> ids) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        ids.forEach(id -> a.add(id.value()));
        return a.build().toString();
    }

    private static Map<CollectorId, MemberObservation> observe(DbExecute exec, Collection<CollectorId> ids) {
        Map<CollectorId, MemberObservation> out = new HashMap<>();
        if (ids.isEmpty()) {
            return out;
        }
        exec.query("""
                        SELECT c.id, coalesce(e.revision, 0) AS revision, coalesce(e.effective_sha256, '') AS sha,
                               coalesce(e.sources, '') AS sources, coalesce(e.created_at, 'epoch') AS revision_at,
                               s.collector_id IS NOT NULL AS reported, coalesce(s.last_attempted, 0) AS last_attempted,
                               coalesce(s.last_status, 'APPLIED') AS last_status, coalesce(s.last_error, '') AS last_error,
                               coalesce(s.effective_sha256, '') AS reported_sha,
                               coalesce(s.reported_at, 'epoch') AS reported_at
                        FROM collectors c
                        LEFT JOIN effective_configs e ON e.collector_id = c.id
                        LEFT JOIN collector_status s ON s.collector_id = c.id
                        WHERE c.decommissioned_at IS NULL AND c.id IN (SELECT jsonb_array_elements_text(?::jsonb))""",
                ids(ids)).forEach(r -> {
                    Optional<MemberObservation.LastReport> last = r.column("reported").get(Boolean.class)
                            ? Optional.of(new MemberObservation.LastReport(Rows.integer(r, "last_attempted"),
                            ApplyStatus.valueOf(Rows.text(r, "last_status")), Rows.text(r, "last_error"),
                            Rows.text(r, "reported_sha").strip(), Rows.instant(r, "reported_at")))
                            : Optional.empty();
                    String sources = Rows.text(r, "sources");
                    out.put(CollectorId.of(Rows.text(r, "id")), new MemberObservation.Present(Rows.integer(r, "revision"),
                            Rows.text(r, "sha").strip(), sources.isEmpty() ? List.of() : List.of(sources.split(", ")),
                            last, Rows.instant(r, "revision_at")));
                });
        return out;
    }

    private static String specs(List<WaveSpec> waves) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        for (WaveSpec w : waves) {
            switch (w) {
                case WaveSpec.ByPercent p -> a.add(Json.createObjectBuilder().add("percent", p.percent()));
                case WaveSpec.BySelector s -> {
                    JsonObjectBuilder sel = Json.createObjectBuilder();
                    s.selector().labels().forEach(sel::add);
                    a.add(Json.createObjectBuilder().add("selector", sel));
                }
            }
        }
        return a.build().toString();
    }

    private static String results(List<WaveCounts> counts) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        counts.forEach(c -> a.add(Json.createObjectBuilder().add("applied", c.applied()).add("failed", c.failed())
                .add("pending", c.pending()).add("skipped", c.skipped())));
        return a.build().toString();
    }

    private static List<MemberFailure> memberFailures(String json) {
        List<MemberFailure> out = new ArrayList<>();
        for (JsonValue v : array(json)) {
            JsonObject o = v.asJsonObject();
            out.add(new MemberFailure(CollectorId.of(o.getString("collector_id")), o.getString("error")));
        }
        return out;
    }

    private static String memberFailures(List<MemberFailure> failures) {
        JsonArrayBuilder a = Json.createArrayBuilder();
        failures.forEach(f -> a.add(Json.createObjectBuilder()
                .add("collector_id", f.collectorId().value()).add("error", f.error())));
        return a.build().toString();
    }

    /** A rollout step's view: a layer change's, and the rollouts. */
    private static final class Tx extends LayerPersistenceAdapter.Tx implements RolloutStorePort.Transaction {

        Tx(DbTransaction tx, DocumentCache documents) {
            super(tx, documents);
        }

        @Override
        public RolloutId nextRolloutId() {
            return new RolloutId(tx.get("SELECT nextval(pg_get_serial_sequence('rollouts', 'id')) AS id")
                    .map(r -> ((Number) r.column("id").get()).longValue()).orElseThrow());
        }

        @Override
        public Optional<Rollout> lockRollout(RolloutId id) {
            return rollout(tx, id, true);
        }

        @Override
        public void insertRollout(Rollout r, String starter) {
            tx.insert("""
                            INSERT INTO rollouts (id, layer, staged_version, previous_version, state, waves, bake_seconds,
                                max_failed, apply_deadline_seconds, started_waves, wave_started_at, results, created_at,
                                created_by, message, updated_at, driver, wave_began, wave_began_at)
                            VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?)""",
                    r.id().value(), r.layer().label(), r.stagedVersion().value(),
                    r.previousVersion().map(ConfigVersion::value).orElse(0), r.state().label(),
                    specs(r.policy().waves()), (int) r.policy().bakeSeconds(), r.policy().maxFailed(),
                    (int) r.policy().applyDeadlineSeconds(), r.startedWaves(), Rows.timestamp(r.waveStartedAt()),
                    results(r.results()), Rows.timestamp(r.createdAt()), r.createdBy(), r.message(),
                    Rows.timestamp(r.createdAt()), starter, r.startedWaves(), Rows.timestamp(r.waveBeganAt()));
            JsonArrayBuilder rows = Json.createArrayBuilder();
            for (int w = 0; w < r.waves().size(); w++) {
                PlannedWave wave = r.waves().get(w);
                int position = 0;
                for (CollectorId id : wave.members()) {
                    rows.add(member(id, w, position++, false));
                }
                for (CollectorId id : wave.skipped()) {
                    rows.add(member(id, w, position++, true));
                }
            }
            tx.insert("""
                            INSERT INTO rollout_members (rollout_id, collector_id, wave, position, skipped)
                            SELECT ?, x.collector_id, x.wave, x.position, x.skipped
                            FROM jsonb_to_recordset(?::jsonb) AS x(collector_id text, wave integer, position integer,
                                                                   skipped boolean)""",
                    r.id().value(), rows.build().toString());
        }

        private static JsonObjectBuilder member(CollectorId id, int wave, int position, boolean skipped) {
            return Json.createObjectBuilder().add("collector_id", id.value()).add("wave", wave).add("position", position)
                    .add("skipped", skipped);
        }

        @Override
        public void updateRollout(Rollout r, String driver) {
            tx.update("""
                            UPDATE rollouts SET state = ?, started_waves = ?, wave_started_at = ?, wave_began = ?,
                                wave_began_at = ?, results = ?::jsonb,
                                ended_at = ?, reason = ?, failures = ?::jsonb, not_rolled_back = ?::jsonb,
                                not_rolled_back_total = ?,
                                driver = CASE WHEN ? = '' THEN driver ELSE ? END, updated_at = now()
                            WHERE id = ?""",
                    r.state().label(), r.startedWaves(), Rows.timestamp(r.waveStartedAt()), r.startedWaves(),
                    Rows.timestamp(r.waveBeganAt()), results(r.results()),
                    r.ending().map(e -> Rows.timestamp(e.at())).orElse(null),
                    r.ending().map(Ending::reason).orElse(""),
                    memberFailures(r.ending().map(Ending::failures).orElse(List.of())),
                    memberFailures(r.ending().map(Ending::notRolledBack).orElse(List.of())),
                    r.ending().map(Ending::notRolledBackTotal).orElse(0), driver, driver, r.id().value());
        }

        @Override
        public void appendTimeline(RolloutId id, List<TimelineEvent> events) {
            int seq = tx.get("SELECT coalesce(max(seq), 0) AS seq FROM rollout_events WHERE rollout_id = ?", id.value())
                    .map(r -> Rows.integer(r, "seq")).orElse(0);
            for (TimelineEvent e : events) {
                tx.insert("INSERT INTO rollout_events (rollout_id, seq, at, kind, detail, by_whom) VALUES (?, ?, ?, ?, ?, ?)",
                        id.value(), ++seq, Rows.timestamp(e.at()), e.kind(), e.detail(), e.by());
            }
        }

        @Override
        public void insertStaged(LayerRevision revision) {
            insertVersion(revision);
        }

        @Override
        public void makeCurrent(LayerId layer, ConfigVersion version) {
            tx.update("UPDATE config_layers SET latest_version = ? WHERE layer = ?", version.value(), layer.label());
        }

        @Override
        public Set<CollectorId> stale(Collection<CollectorId> ids) {
            Set<CollectorId> out = new HashSet<>();
            if (ids.isEmpty()) {
                return out;
            }
            // The fleet view's stale (seen, not for three push or pull intervals) and never_seen: an agent that
            // went silent or never came cannot be waited for.
            tx.query("""
                            SELECT c.id FROM collectors c LEFT JOIN effective_configs e ON e.collector_id = c.id
                            WHERE c.id IN (SELECT jsonb_array_elements_text(?::jsonb))
                              AND (c.last_seen_at IS NULL OR c.last_seen_at
                                   < now() - make_interval(secs => 3 * coalesce(e.pull_interval_s, 300)))""",
                    ids(ids)).forEach(r -> out.add(CollectorId.of(Rows.text(r, "id"))));
            return out;
        }

        @Override
        public Map<CollectorId, MemberObservation> observe(Collection<CollectorId> ids) {
            return RolloutPersistenceAdapter.observe(tx, ids);
        }
    }
}
