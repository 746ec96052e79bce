package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.ControlRolloutUseCase;
import io.pgfleet.application.port.in.RolloutQuery;
import io.pgfleet.application.port.in.RolloutUseCases;
import io.pgfleet.application.port.in.StartRolloutUseCase;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.rollout.MemberFailure;
import io.pgfleet.domain.rollout.PlannedWave;
import io.pgfleet.domain.rollout.Rollout;
import io.pgfleet.domain.rollout.RolloutId;
import io.pgfleet.domain.rollout.RolloutPolicy;
import io.pgfleet.domain.rollout.RolloutState;
import io.pgfleet.domain.rollout.WaveCounts;
import io.pgfleet.domain.rollout.WavePlan;
import io.pgfleet.domain.rollout.WaveSpec;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Staged rollouts under {@code /api/v1/rollouts}: start one, list them, read one with its waves'
 * counts and timeline, and pause, resume, promote or abort it. Operators write, viewers read.
 */
final class RolloutsHttpService implements ApiService {

    /** How many collector ids one wave lists in a rollout's view (its counts cover every member). */
    static final int MAX_LISTED_MEMBERS = 100;
    /** The default bake, in seconds. */
    static final int DEFAULT_BAKE_SECONDS = 60;

    private static final Set<String> FIELDS = Set.of("layer", "document", "message", "waves", "bake_seconds",
            "max_failed", "apply_deadline_seconds");

    private final RolloutUseCases rollouts;

    RolloutsHttpService(RolloutUseCases rollouts) {
        this.rollouts = rollouts;
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.post("/", RouteAccess.allowed(Operation.PUBLISH_CONFIG), this::start)
                .get("/", RouteAccess.allowed(Operation.READ_HISTORY), this::list)
                .get("/{id}", RouteAccess.allowed(Operation.READ_HISTORY), this::get)
                .post("/{id}/pause", RouteAccess.allowed(Operation.PUBLISH_CONFIG),
                        (req, res) -> control(req, res, ControlRolloutUseCase.Command.PAUSE))
                .post("/{id}/resume", RouteAccess.allowed(Operation.PUBLISH_CONFIG),
                        (req, res) -> control(req, res, ControlRolloutUseCase.Command.RESUME))
                .post("/{id}/promote", RouteAccess.allowed(Operation.PUBLISH_CONFIG),
                        (req, res) -> control(req, res, ControlRolloutUseCase.Command.PROMOTE))
                .post("/{id}/abort", RouteAccess.allowed(Operation.ROLLBACK_CONFIG),
                        (req, res) -> control(req, res, ControlRolloutUseCase.Command.ABORT));
    }

    // ---- start

    private void start(ServerRequest req, ServerResponse res) {
        JsonObject body = Jsons.readObject(req, Bodies.MAX_ROLLOUT_BYTES);
        for (String key : body.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new ApiException(Problem.badRequest("unknown field '" + key + "'; expected " + String.join(", ",
                        List.of("layer", "document", "message", "waves", "bake_seconds", "max_failed",
                                "apply_deadline_seconds"))));
            }
        }
        LayerId layer = layer(body);
        if (!(body.get("document") instanceof JsonString doc) || doc.getString().isBlank()) {
            throw new ApiException(Problem.badRequest("'document' (the layer's new TOML document, a non-empty string) is required"));
        }
        long documentBytes = doc.getString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (documentBytes > Bodies.MAX_BYTES) {
            // The body may be larger than the API's bound (JSON escapes it), the document may not: it is a
            // configuration like any other, which a plain PUT of the layer would refuse alike.
            throw new ApiException(new Problem(Status.REQUEST_ENTITY_TOO_LARGE_413, ProblemType.PAYLOAD_TOO_LARGE,
                    "Request body too large", "'document' is limited to " + Bodies.MAX_BYTES + " bytes (256 KiB) of"
                    + " UTF-8, like any configuration; it has " + documentBytes));
        }
        String message = "";
        if (body.containsKey("message")) {
            if (!(body.get("message") instanceof JsonString m)) {
                throw new ApiException(Problem.badRequest("'message' must be a string"));
            }
            message = ConfigHttpService.checkedMessage(m.getString(), "'message'");
        }
        RolloutPolicy policy;
        StartRolloutUseCase.StartRolloutCommand command;
        try {
            policy = new RolloutPolicy(waves(body),
                    number(body, "bake_seconds", DEFAULT_BAKE_SECONDS, 0, RolloutPolicy.MAX_BAKE_SECONDS),
                    (int) number(body, "max_failed", 0, 0, RolloutPolicy.MAX_FAILED_LIMIT),
                    number(body, "apply_deadline_seconds", RolloutPolicy.DEFAULT_DEADLINE_SECONDS, 1,
                            RolloutPolicy.MAX_DEADLINE_SECONDS));
            command = new StartRolloutUseCase.StartRolloutCommand(layer, new ConfigDocument(doc.getString()), message,
                    policy, Callers.actor(req), CapabilitiesJson.mode(req));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        switch (rollouts.start().start(command)) {
            case StartRolloutUseCase.StartResult.Started s -> {
                res.status(Status.CREATED_201);
                Locations.created(req, res, "/api/v1/rollouts/" + s.rollout().id());
                sendView(req, res, s.rollout().id());
            }
            case StartRolloutUseCase.StartResult.LayerBusy b -> busy(layer, b.rollout()).send(res);
            case StartRolloutUseCase.StartResult.GroupNotFound g -> Problem.notFound(ProblemType.GROUP_NOT_FOUND,
                    "no group has the id '" + g.id() + "'").send(res);
            case StartRolloutUseCase.StartResult.EmptyWave e -> emptyWave(layer, e.untested()).send(res);
            case StartRolloutUseCase.StartResult.Unchanged u -> new Problem(Status.CONFLICT_409, ProblemType.NOTHING_TO_ROLL_OUT,
                    "Nothing to roll out", "the document is the current version of " + layer.label()
                    + " already; nothing was stored").send(res);
            case StartRolloutUseCase.StartResult.Invalid inv ->
                    ConfigHttpService.invalid(inv.layer(), inv.errors(), inv.total()).send(res);
            case StartRolloutUseCase.StartResult.MembersInvalid m ->
                    LayersHttpService.membersInvalid(m.members(), m.total()).send(res);
            case StartRolloutUseCase.StartResult.LacksCapabilities l -> CapabilitiesJson.refusal(l.refusal()).send(res);
        }
    }

    /**
     * The answer when a wave would pass without testing anything, naming the stale and never-seen members it would
     * have had so that the operator knows whom to wait for.
     */
    private static Problem emptyWave(LayerId layer, WavePlan.UntestedWave w) {
        List<CollectorId> stale = w.stale();
        String named = stale.isEmpty() ? "" : " (" + stale.size() + (stale.size() == 1 ? " stale or never-seen member"
                : " stale or never-seen members")
                + " skipped: " + String.join(", ", stale.stream().limit(5).map(CollectorId::value).toList())
                + (stale.size() > 5 ? ", …" : "") + ")";
        String why = "wave " + w.wave() + " reaches no member of " + layer.label() + " that is seen and not stale" + named;
        String then = w.wave() == 1
                ? ", so the rollout would pass every wave at once and send the version untested to every member;"
                + " nothing was stored. Start it once members report again, or publish it to every member with a"
                + " plain PUT of the layer"
                : ", so it would pass without testing anything; nothing was stored";
        JsonArrayBuilder ids = Json.createArrayBuilder();
        stale.stream().limit(MAX_LISTED_MEMBERS).map(CollectorId::value).forEach(ids::add);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("wave", w.wave());
        extra.put("skipped", stale.size());
        extra.put("skipped_collectors", ids.build());
        return new Problem(Status.create(422, "Unprocessable Content"), ProblemType.EMPTY_WAVE, "A wave reaches nobody",
                why + then, extra);
    }

    /** The answer when a rollout already holds the layer; also what a plain publish of that layer gets. */
    static Problem busy(LayerId layer, long rollout) {
        return new Problem(Status.CONFLICT_409, ProblemType.ROLLOUT_IN_PROGRESS, "A rollout holds the layer",
                "rollout " + rollout + " is rolling out a version of " + layer.label() + "; promote or abort it"
                        + " (POST /api/v1/rollouts/" + rollout + "/promote or /abort) before changing the layer",
                Map.of("rollout", rollout));
    }

    private static LayerId layer(JsonObject body) {
        if (!(body.get("layer") instanceof JsonString s)) {
            throw new ApiException(Problem.badRequest("'layer' is required: \"fleet\" or \"group/<id>\""));
        }
        String text = s.getString();
        if (text.equals("fleet")) {
            return new LayerId.Fleet();
        }
        if (text.startsWith("group/")) {
            try {
                return new LayerId.Group(new GroupId(text.substring("group/".length())));
            } catch (IllegalArgumentException e) {
                throw new ApiException(Problem.badRequest("'layer' " + text + ": " + e.getMessage()));
            }
        }
        throw new ApiException(Problem.badRequest("'layer' is \"fleet\" or \"group/<id>\", not '" + text
                + "'; a collector's own layer is published directly"));
    }

    private static List<WaveSpec> waves(JsonObject body) {
        if (!(body.get("waves") instanceof jakarta.json.JsonArray array) || array.isEmpty()) {
            throw new ApiException(Problem.badRequest("'waves' is required: a list such as "
                    + "[{\"selector\": {\"canary\": \"true\"}}, {\"percent\": 25}, {\"percent\": 100}]"));
        }
        if (array.size() > RolloutPolicy.MAX_WAVES) {
            throw new ApiException(Problem.badRequest("a rollout has at most " + RolloutPolicy.MAX_WAVES + " waves"));
        }
        List<WaveSpec> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String where = "'waves[" + i + "]'";
            if (!(array.get(i) instanceof JsonObject o) || o.size() != 1
                    || !(o.containsKey("percent") || o.containsKey("selector"))) {
                throw new ApiException(Problem.badRequest(where + " must be {\"percent\": 1..100} or "
                        + "{\"selector\": {\"label\": \"value\", …}}"));
            }
            if (o.containsKey("percent")) {
                java.util.OptionalLong percent = Jsons.integer(o.get("percent"), 1, 100);
                if (percent.isEmpty()) {
                    throw new ApiException(Problem.badRequest(where + ": 'percent' is a whole number from 1 to 100"));
                }
                out.add(new WaveSpec.ByPercent((int) percent.getAsLong()));
            } else {
                if (!(o.get("selector") instanceof JsonObject sel)) {
                    throw new ApiException(Problem.badRequest(where + ": 'selector' is an object of label values"));
                }
                Map<String, String> labels = new LinkedHashMap<>();
                sel.forEach((k, v) -> {
                    if (!(v instanceof JsonString str)) {
                        throw new ApiException(Problem.badRequest(where + ": selector label '" + k + "' must be a string"));
                    }
                    labels.put(k, str.getString());
                });
                try {
                    out.add(new WaveSpec.BySelector(new LabelSelector(labels)));
                } catch (IllegalArgumentException e) {
                    throw new ApiException(Problem.badRequest(where + ": " + e.getMessage()));
                }
            }
        }
        return out;
    }

    private static long number(JsonObject body, String field, long fallback, long min, long max) {
        if (!body.containsKey(field)) {
            return fallback;
        }
        java.util.OptionalLong n = Jsons.integer(body.get(field), min, max);
        if (n.isEmpty()) {
            throw new ApiException(Problem.badRequest("'" + field + "' is a whole number from " + min + " to " + max));
        }
        return n.getAsLong();
    }

    // ---- reads

    private void list(ServerRequest req, ServerResponse res) {
        int limit = QueryParams.integer(req, "limit", 50, 1, RolloutQuery.MAX_LIST);
        Optional<RolloutState> state;
        try {
            state = QueryParams.filter(req, "state").map(RolloutState::parse);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("query parameter 'state': " + e.getMessage()));
        }
        // Keyset paging, newest first as the layers' histories: 'before' is the last id of the previous page.
        long before = QueryParams.number(req, "before", Long.MAX_VALUE, 1, PathParams.MAX_ROLLOUT_ID);
        RolloutQuery.Page page = rollouts.query().list(state, before, limit);
        JsonArrayBuilder list = Json.createArrayBuilder();
        page.rollouts().forEach(r -> list.add(summary(r)));
        JsonObjectBuilder body = Json.createObjectBuilder().add("rollouts", list);
        if (page.more()) {
            String next = "/api/v1/rollouts?limit=" + limit + "&before=" + page.rollouts().getLast().id()
                    + state.map(s -> "&state=" + s.label()).orElse("");
            body.add("next", next);
            NextPages.link(req, res, next);
        } else {
            body.addNull("next");
        }
        Jsons.send(req, res, body.build());
    }

    private void get(ServerRequest req, ServerResponse res) {
        sendView(req, res, id(req));
    }

    private static RolloutId id(ServerRequest req) {
        return PathParams.rolloutId(req);
    }

    private void sendView(ServerRequest req, ServerResponse res, RolloutId id) {
        rollouts.query().get(id).ifPresentOrElse(v -> Jsons.send(req, res, detail(v).build()), () -> notFound(res, id));
    }

    private static void notFound(ServerResponse res, RolloutId id) {
        Problem.notFound(ProblemType.ROLLOUT_NOT_FOUND, "no rollout has the id " + id).send(res);
    }

    private void control(ServerRequest req, ServerResponse res, ControlRolloutUseCase.Command command) {
        RolloutId id = id(req);
        switch (rollouts.control().control(id, command, Callers.actor(req))) {
            case ControlRolloutUseCase.ControlResult.Done d -> sendView(req, res, id);
            case ControlRolloutUseCase.ControlResult.NotFound n -> notFound(res, id);
            case ControlRolloutUseCase.ControlResult.Refused r -> new Problem(Status.CONFLICT_409, ProblemType.ROLLOUT_STATE,
                    "The rollout's state does not allow this", r.reason() + "; nothing changed").send(res);
            case ControlRolloutUseCase.ControlResult.MembersInvalid m -> membersRefused(m).send(res);
        }
    }

    /**
     * The answer to a promote or resume that would give members an invalid effective document: the
     * same as a publish that would, naming them, and saying that the rollout stays as it was.
     */
    private static Problem membersRefused(ControlRolloutUseCase.ControlResult.MembersInvalid m) {
        Rollout r = m.rollout();
        String where = r.state().label() + " in wave " + r.startedWaves() + " of " + r.waves().size();
        String verb = m.command() == ControlRolloutUseCase.Command.RESUME ? "resume" : "promote";
        return LayersHttpService.membersInvalid(m.members(), m.total(), "rollout " + r.id() + " was not " + verb
                + "d and nothing changed (it is still " + where + "); fix their own layers, then " + verb + " again",
                Map.of("rollout", r.id().value(), "state", r.state().label()));
    }

    // ---- JSON

    private static JsonObjectBuilder summary(Rollout r) {
        JsonObjectBuilder o = Json.createObjectBuilder()
                .add("id", r.id().value())
                .add("layer", r.layer().label())
                .add("staged_version", r.stagedVersion().value());
        r.previousVersion().ifPresentOrElse(v -> o.add("previous_version", v.value()), () -> o.addNull("previous_version"));
        o.add("state", r.state().label())
                .add("message", r.message())
                .add("created_at", HttpDates.json(r.createdAt()))
                .add("created_by", r.createdBy())
                .add("current_wave", r.startedWaves())
                .add("wave_count", r.waves().size())
                .add("wave_started_at", HttpDates.json(r.waveStartedAt()))
                .add("bake_seconds", r.policy().bakeSeconds())
                .add("max_failed", r.policy().maxFailed())
                .add("apply_deadline_seconds", r.policy().applyDeadlineSeconds());
        r.ending().ifPresentOrElse(e -> o.add("ended_at", HttpDates.json(e.at())).add("reason", e.reason())
                        .add("failures", memberFailures(e.failures()))
                        .add("not_rolled_back", Json.createObjectBuilder().add("total", e.notRolledBackTotal())
                                .add("members", memberFailures(e.notRolledBack()))),
                () -> o.addNull("ended_at").add("reason", "").add("failures", Json.createArrayBuilder())
                        .add("not_rolled_back", Json.createObjectBuilder().add("total", 0)
                                .add("members", Json.createArrayBuilder())));
        return o;
    }

    private static JsonArrayBuilder memberFailures(List<MemberFailure> members) {
        JsonArrayBuilder out = Json.createArrayBuilder();
        members.forEach(f -> out.add(Json.createObjectBuilder()
                .add("collector_id", f.collectorId().value()).add("error", f.error())));
        return out;
    }

    private static JsonObjectBuilder detail(RolloutQuery.RolloutView v) {
        Rollout r = v.rollout();
        JsonObjectBuilder o = summary(r);
        JsonArrayBuilder waves = Json.createArrayBuilder();
        for (int i = 0; i < r.waves().size(); i++) {
            PlannedWave w = r.waves().get(i);
            WaveCounts c = v.waves().get(i);
            JsonObjectBuilder spec = Json.createObjectBuilder();
            switch (r.policy().waves().get(i)) {
                case WaveSpec.ByPercent p -> spec.add("percent", p.percent());
                case WaveSpec.BySelector s -> {
                    JsonObjectBuilder sel = Json.createObjectBuilder();
                    s.selector().labels().forEach(sel::add);
                    spec.add("selector", sel);
                }
            }
            JsonArrayBuilder ids = Json.createArrayBuilder();
            w.members().stream().limit(MAX_LISTED_MEMBERS).map(CollectorId::value).forEach(ids::add);
            JsonArrayBuilder skipped = Json.createArrayBuilder();
            w.skipped().stream().limit(MAX_LISTED_MEMBERS).map(CollectorId::value).forEach(skipped::add);
            waves.add(Json.createObjectBuilder()
                    .add("wave", i + 1)
                    .add("spec", spec)
                    .add("state", waveState(r, i))
                    .add("members", w.members().size())
                    .add("applied", c.applied())
                    .add("failed", c.failed())
                    .add("pending", c.pending())
                    .add("skipped", c.skipped())
                    .add("collectors", ids)
                    .add("skipped_collectors", skipped));
        }
        JsonArrayBuilder timeline = Json.createArrayBuilder();
        v.timeline().forEach(e -> timeline.add(Json.createObjectBuilder().add("at", HttpDates.json(e.at()))
                .add("kind", e.kind()).add("detail", e.detail()).add("by", e.by())));
        o.add("waves", waves).add("timeline", timeline);
        v.driver().ifPresentOrElse(d -> o.add("driver", d), () -> o.addNull("driver"));
        return o;
    }

    private static String waveState(Rollout r, int i) {
        int current = r.startedWaves() - 1;
        if (i < current) {
            return "passed";
        }
        if (i > current) {
            return "not_started";
        }
        return switch (r.state()) {
            case RUNNING -> "running";
            case PAUSED -> "paused";
            case COMPLETED -> "passed";
            case ROLLED_BACK -> "rolled_back";
        };
    }
}
