package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.FleetUseCases;
import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.domain.fleet.Receipt;
import io.pgfleet.application.port.in.PushMetricsUseCase;
import io.pgfleet.application.port.in.ReportStatusUseCase;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.fleet.ApplyStatus;
import io.pgfleet.domain.fleet.FleetMember;
import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.fleet.SampleBatch;
import io.pgfleet.domain.fleet.SamplePage;
import io.pgfleet.domain.fleet.SamplePosition;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fleet: the collectors' view ({@code GET /api/v1/collectors}), apply reports, sample pushes
 * and stored samples.
 */
final class FleetHttpService implements ApiService {

    private final ReportStatusUseCase status;
    private final PushMetricsUseCase push;
    private final FleetQuery query;

    private final HttpMetrics metrics;
    private final io.pgfleet.application.port.in.DecommissionedQuery decommissioned;

    FleetHttpService(FleetUseCases fleet, HttpMetrics metrics, io.pgfleet.application.port.in.DecommissionedQuery decommissioned) {
        this.metrics = metrics;
        this.decommissioned = java.util.Objects.requireNonNull(decommissioned, "decommissioned");
        this.status = fleet.reportStatus();
        this.push = fleet.pushMetrics();
        this.query = fleet.query();
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.get("/collectors", RouteAccess.allowed(Operation.LIST_COLLECTORS), this::fleet)
                // Whoever may read the list may read one of its rows; a collector may read neither.
                .get("/collectors/{id}", RouteAccess.allowed(Operation.LIST_COLLECTORS), DecommissionedFirst.of(this::member))
                .post("/collectors/{id}/status", RouteAccess.onCollectorInPath(Operation.REPORT_STATUS), this::report)
                .get("/collectors/{id}/metrics", RouteAccess.onCollectorInPath(Operation.READ_METRICS), this::samples)
                .post("/metrics/push", RouteAccess.onOwnCollector(Operation.PUSH_METRICS), this::push);
    }

    /** Page size of the fleet view when the client names none, and the largest it may ask for. */
    static final int DEFAULT_PAGE = 1000;
    static final int MAX_PAGE = 5000;

    private void fleet(ServerRequest req, ServerResponse res) {
        Optional<Boolean> inSync = flag(req, "in_sync");
        Optional<Boolean> neverSeen = flag(req, "never_seen");
        io.pgfleet.domain.layer.LabelSelector selector;
        try {
            selector = io.pgfleet.domain.layer.LabelSelector.parse(QueryParams.filter(req, "selector").orElse(""));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("selector: " + e.getMessage()));
        }
        int limit = QueryParams.integer(req, "limit", DEFAULT_PAGE, 1, MAX_PAGE);
        String after = QueryParams.text(req, "after");
        JsonArrayBuilder list = Json.createArrayBuilder();
        int shown = 0;
        String last = "";
        boolean more = false;
        // Keyset paging by id: the fleet view is ordered by id.
        for (FleetMember m : query.fleet()) {
            if (inSync.isPresent() && inSync.get() != m.inSync()
                    || neverSeen.isPresent() && neverSeen.get() != m.neverSeen()
                    || m.collector().id().value().compareTo(after) <= 0
                    || !selector.matches(m.collector().labels())) {
                continue;
            }
            if (shown == limit) {
                more = true;
                break;
            }
            shown++;
            last = m.collector().id().value();
            list.add(row(m));
        }
        JsonObjectBuilder body = Json.createObjectBuilder().add("collectors", list);
        if (more) {
            String next = "/api/v1/collectors?limit=" + limit + "&after=" + last
                    + (selector.labels().isEmpty() ? "" : "&selector=" + java.net.URLEncoder.encode(selector.toString(),
                            java.nio.charset.StandardCharsets.UTF_8))
                    + inSync.map(b -> "&in_sync=" + b).orElse("")
                    + neverSeen.map(b -> "&never_seen=" + b).orElse("");
            body.add("next", next);
            NextPages.link(req, res, next);
        } else {
            body.addNull("next");
        }
        Jsons.send(req, res, body.build());
    }

    /** A filter of the fleet view that is true, false or absent. */
    private static Optional<Boolean> flag(ServerRequest req, String name) {
        return QueryParams.filter(req, name).map(value -> switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ApiException(Problem.badRequest(name + " is true or false"));
        });
    }

    private void member(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        switch (query.member(id)) {
            case FleetQuery.MemberLookup.Found f -> Jsons.send(req, res, row(f.member()).build());
            case FleetQuery.MemberLookup.NotFound nf ->
                    Problem.notFound(ProblemType.COLLECTOR_NOT_FOUND, "no collector has the id '" + id + "'").send(res);
            case FleetQuery.MemberLookup.Decommissioned d ->
                    AuthHttpService.decommissioned(Status.GONE_410, id, d.at()).send(res);
        }
    }

    /** One collector as the fleet view shows it: a row of the list, and the answer of {@code GET /collectors/{id}}. */
    private static JsonObjectBuilder row(FleetMember m) {
        JsonObjectBuilder labels = Json.createObjectBuilder();
        m.collector().labels().forEach(labels::add);
        JsonObjectBuilder o = Json.createObjectBuilder()
                .add("id", m.collector().id().value())
                .add("name", m.collector().name())
                .add("hostname", m.collector().hostname())
                .add("labels", labels);
        m.lastSeenAt().ifPresentOrElse(t -> o.add("last_seen_at", HttpDates.json(t)), () -> o.addNull("last_seen_at"));
        o.add("latest_version", m.latestVersion())
                .add("applied_version", m.appliedVersion())
                .add("last_attempted_version", m.lastAttempted());
        if (m.agentVersion().isEmpty()) {
            o.addNull("agent_version");
        } else {
            o.add("agent_version", m.agentVersion());
        }
        m.lastStatus().ifPresentOrElse(s -> o.add("apply_status", s.name()), () -> o.addNull("apply_status"));
        o.add("apply_error", m.lastError())
                .add("in_sync", m.inSync())
                .add("stale", m.stale())
                .add("never_seen", m.neverSeen())
                .add("status_from_backup", m.fromBackup())
                .add("revoked", m.collector().revoked());
        m.allowances().ifPresentOrElse(a -> o.add("allow_lists", Json.createObjectBuilder()
                .add("password_dirs", Json.createArrayBuilder(a.passwordDirs()))
                .add("password_env", Json.createArrayBuilder(a.passwordEnv()))
                .add("hosts", Json.createArrayBuilder(a.hosts()))), () -> o.addNull("allow_lists"));
        o.add("facts", CapabilitiesJson.facts(m.facts()))
                .add("capability_gaps", CapabilitiesJson.gaps(m.gaps()));
        m.leftBehind().ifPresentOrElse(l -> o.add("left_behind", Json.createObjectBuilder()
                .add("rollout", l.rollout()).add("staged", l.staged()).add("reason", l.reason())),
                () -> o.addNull("left_behind"));
        return o;
    }

    private void report(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        JsonObject body = Jsons.readObject(req);
        int version = positiveInt(body, "version");
        ApplyStatus st;
        try {
            st = ApplyStatus.valueOf(string(body, "status", true));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("status is APPLIED or FAILED"));
        }
        Receipt r;
        try {
            // allow_lists, agent_version and facts are optional: agents older than the fields do not send them.
            r = status.report(id, version, st, string(body, "error", false), string(body, "effective_sha256", true),
                    allowances(body), string(body, "agent_version", false), CapabilitiesJson.facts(body));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        if (r instanceof Receipt.Stored) {
            metrics.applyReport(st, 1);
        }
        receipt(res, r, Status.NO_CONTENT_204);
    }

    private void push(ServerRequest req, ServerResponse res) {
        // The route's access made sure the caller is a collector pushing for itself.
        CollectorId self = Callers.principal(req).collectorId().orElseThrow();
        String text = null;
        SampleBatch batch;
        try {
            text = Jsons.readText(req);
            JsonObject body = Jsons.parseObject(text);
            try {
                batch = new SampleBatch(string(body, "batch_id", true), samples(body));
            } catch (IllegalArgumentException e) {
                throw new ApiException(Problem.badRequest(e.getMessage()));
            }
        } catch (ApiException e) {
            // Refused before it was a batch (too large, not JSON, not a batch): reading it cost the
            // server as much as a batch of its size, so it is charged as one.
            long bytes = text != null ? text.length()
                    : req.headers().contentLength().orElse(Bodies.MAX_BYTES);
            Optional<Receipt.RateExceeded> over = push.unreadable(self, bytes);
            if (over.isEmpty()) {
                throw e;
            }
            receipt(res, over.get(), Status.ACCEPTED_202);
            return;
        }
        Receipt receipt = push.push(self, batch);
        switch (receipt) {
            case Receipt.Stored stored -> metrics.samplesStored(stored.count());
            case Receipt.RateExceeded r -> metrics.samplesRefused("rate", batch.samples().size());
            case Receipt.TooManySeries t -> metrics.samplesRefused("series", batch.samples().size());
            default -> { }
        }
        receipt(res, receipt, Status.ACCEPTED_202);
    }

    private static void receipt(ServerResponse res, Receipt r, Status ok) {
        switch (r) {
            case Receipt.Stored s -> {
                res.status(ok);
                if (ok == Status.NO_CONTENT_204) {
                    res.send();
                } else {
                    Jsons.send(res, Json.createObjectBuilder().add("stored", s.count()).add("duplicate", false).build());
                }
            }
            case Receipt.Duplicate d -> {
                res.status(ok);
                Jsons.send(res, Json.createObjectBuilder().add("stored", 0).add("duplicate", true).build());
            }
            // Only the collector itself reports or pushes, and a decommissioned one's tokens are
            // refused (401) before this: agents of every release take that 401 as the end.
            case Receipt.CollectorNotFound nf -> Problem.notFound(ProblemType.COLLECTOR_NOT_FOUND,
                    "the collector is unknown").send(res);
            // Stored, it would show the collector ahead of its latest revision, in sync with nothing.
            case Receipt.UnknownRevision u -> new Problem(Status.CONFLICT_409, ProblemType.UNKNOWN_REVISION,
                    "No such revision", "the report names a revision above the collector's latest, "
                    + u.latest() + "; nothing was stored: fetch the configuration and report what it names",
                    Map.of("latest_version", u.latest())).send(res);
            // A 4xx: the agent drops the batch and counts it as refused, which its log and metrics show.
            case Receipt.TooFarAhead a -> new Problem(Status.create(422, "Unprocessable Content"), ProblemType.SAMPLE_FROM_THE_FUTURE,
                    "Sample from the future", "a sample's ts, " + a.ts() + ", is more than "
                    + io.pgfleet.domain.fleet.SampleBatch.MAX_AHEAD.toDays() + " days ahead of the server's clock ("
                    + a.now() + "); nothing of the batch was stored: set the host's clock right (NTP)").send(res);
            // Load from this collector, not a malformed batch: the agent keeps it and sends it again
            // after Retry-After, when the allowance has refilled.
            case Receipt.RateExceeded x -> {
                long seconds = Math.max(1, x.retryAfter().toSeconds());
                res.header(HeaderNames.RETRY_AFTER, Long.toString(seconds));
                new Problem(Status.TOO_MANY_REQUESTS_429, ProblemType.SAMPLE_RATE_EXCEEDED, "Sample rate exceeded",
                        "this collector pushed more samples than this server instance takes from one collector ("
                                + x.rate().perMinute() + " a minute, bursts of " + x.rate().burst()
                                + "); nothing of the batch was stored: send it again after " + seconds + " s",
                        Map.of("retry_after_seconds", seconds)).send(res);
            }
            // A 4xx: the agent drops the batch; its own batches (at most 1,000 samples) never name more.
            case Receipt.TooManySeries t -> new Problem(Status.create(422, "Unprocessable Content"), ProblemType.TOO_MANY_SERIES,
                    "Too many series in one batch", "the batch names more than " + SampleBatch.MAX_SERIES
                    + " distinct series (a metric name with its labels); nothing of the batch was stored").send(res);
            // A 4xx: the agent drops the batch; the labels it makes all pass.
            case Receipt.RefusedLabel l -> new Problem(Status.create(422, "Unprocessable Content"), ProblemType.INVALID_SAMPLE_LABEL,
                    "Sample label not accepted", "samples[" + l.index() + "] has the label '"
                    + io.pgfleet.domain.common.ShownText.quoted(l.refusal().key()) + "': " + l.refusal().rule()
                    + "; nothing of the batch was stored",
                    Map.of("index", l.index(), "label", l.refusal().key())).send(res);
            // A 4xx: two values for one point cannot both be stored, and which one is meant is the client's to say.
            case Receipt.RepeatedPoint p -> new Problem(Status.create(422, "Unprocessable Content"), ProblemType.REPEATED_SAMPLE,
                    "The same point twice in one batch", "samples[" + p.first() + "] and samples[" + p.second()
                    + "] are the same series (name and labels) at the same ts; a batch names a point once;"
                    + " nothing of the batch was stored",
                    Map.of("indexes", Json.createArrayBuilder().add(p.first()).add(p.second()).build())).send(res);
        }
    }

    private static List<Sample> samples(JsonObject body) {
        if (!(body.get("samples") instanceof JsonArray array)) {
            throw new ApiException(Problem.badRequest("'samples' must be an array"));
        }
        if (array.size() > SampleBatch.MAX_SAMPLES) {
            throw new ApiException(Problem.badRequest("a batch carries at most " + SampleBatch.MAX_SAMPLES + " samples"));
        }
        List<Sample> out = new ArrayList<>(array.size());
        for (JsonValue v : array) {
            try {
                out.add(sample(v));
            } catch (ApiException | IllegalArgumentException e) {
                // Which sample of up to 5,000: the message alone would leave the client to search.
                String why = e instanceof ApiException a ? a.problem().detail() : e.getMessage();
                throw new ApiException(Problem.badRequest("samples[" + out.size() + "]: " + why));
            }
        }
        return out;
    }

    private static Sample sample(JsonValue v) {
        if (!(v instanceof JsonObject o)) {
            throw new ApiException(Problem.badRequest("every sample is an object {name, labels, value, ts}"));
        }
        Map<String, String> labels = new LinkedHashMap<>();
        JsonValue given = o.get("labels");
        if (given instanceof JsonObject l) {
            for (Map.Entry<String, JsonValue> e : l.entrySet()) {
                // A label is text: a number or an object turned into text would store something
                // the agent never sent under a spelling of the server's choosing.
                if (!(e.getValue() instanceof JsonString s)) {
                    throw new ApiException(Problem.badRequest("sample 'labels' values must be strings"));
                }
                labels.put(e.getKey(), s.getString());
            }
        } else if (given != null && given.getValueType() != JsonValue.ValueType.NULL) {
            throw new ApiException(Problem.badRequest("sample 'labels' must be an object of strings"));
        }
        if (!(o.get("value") instanceof JsonNumber n)) {
            throw new ApiException(Problem.badRequest("sample 'value' must be a number"));
        }
        Instant ts;
        try {
            ts = HttpDates.parse(string(o, "ts", true));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("sample 'ts' must be " + HttpDates.INSTANT_RULE));
        }
        return new Sample(string(o, "name", true), labels, n.doubleValue(), ts);
    }

    private void samples(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        if (UnknownCollectors.purged(res, decommissioned, id)) {
            return;
        }
        String name = QueryParams.text(req, "name");
        int limit = QueryParams.integer(req, "limit", 1000, 1, FleetQuery.MAX_SAMPLES);
        Instant since = QueryParams.instant(req, "since", Instant.EPOCH);
        String cursor = QueryParams.text(req, "after");
        Optional<SamplePosition> after = req.query().contains("after") ? Optional.of(SampleCursor.parse(id, cursor))
                : Optional.empty();
        if (!name.isEmpty() && after.isPresent() && !after.get().name().equals(name)) {
            throw new ApiException(Problem.badRequest("query parameter 'after' is a cursor of a read of the metric '"
                    + after.get().name() + "', not of '" + io.pgfleet.domain.common.ShownText.escaped(
                            io.pgfleet.domain.common.ShownText.quoted(name)) + "': a cursor reads on the read that gave it"));
        }
        Optional<SamplePage> found = query.samples(id, name, since, after, limit);
        if (found.isEmpty()) {
            // Empty only for an id no collector ever had: a decommissioned one's samples stay readable
            // until retention purges them (answered above).
            UnknownCollectors.notFound(res, id);
            return;
        }
        SamplePage page = found.get();
        JsonArrayBuilder list = Json.createArrayBuilder();
        for (Sample s : page.samples()) {
            JsonObjectBuilder labels = Json.createObjectBuilder();
            s.labels().forEach(labels::add);
            list.add(Json.createObjectBuilder().add("name", s.name()).add("labels", labels).add("value", s.value())
                    .add("ts", s.ts().toString()));
        }
        JsonObjectBuilder body = Json.createObjectBuilder().add("collector_id", id.value()).add("samples", list);
        // Where this page ended: the last sample's position, or the one read on from when nothing
        // followed it yet (a client polling for new samples keeps its place).
        Optional<String> at = page.last().map(p -> SampleCursor.of(id, p))
                .or(() -> after.map(p -> SampleCursor.of(id, p)));
        at.ifPresentOrElse(c -> body.add("cursor", c), () -> body.addNull("cursor"));
        if (page.more()) {
            // since is left out: every sample after the cursor is measured at or after it.
            String next = "/api/v1/collectors/" + id.value() + "/metrics?limit=" + limit
                    + (name.isEmpty() ? "" : "&name=" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8))
                    + "&after=" + at.orElseThrow();
            body.add("next", next);
            NextPages.link(req, res, next);
        } else {
            body.addNull("next");
        }
        Jsons.send(req, res, body.build());
    }

    private static int positiveInt(JsonObject body, String key) {
        java.util.OptionalLong n = Jsons.integer(body.get(key), 1, Integer.MAX_VALUE);
        if (n.isEmpty()) {
            throw new ApiException(Problem.badRequest("'" + key + "' must be a positive integer"));
        }
        return (int) n.getAsLong();
    }

    private static final java.util.Set<String> ALLOW_LIST_KEYS = java.util.Set.of("password_dirs", "password_env", "hosts");

    /** The agent's allow-lists, optional (older agents do not send them). */
    private static Optional<HostAllowances> allowances(JsonObject body) {
        JsonValue v = body.get("allow_lists");
        if (v == null || v == JsonValue.NULL) {
            return Optional.empty();
        }
        if (!(v instanceof JsonObject o)) {
            throw new ApiException(Problem.badRequest("'allow_lists' must be an object"));
        }
        // A key the server does not know is a list it would not check: say so rather than let the
        // agent believe its host is protected by it.
        for (String key : o.keySet()) {
            if (!ALLOW_LIST_KEYS.contains(key)) {
                throw new ApiException(Problem.badRequest("unknown key 'allow_lists."
                        + io.pgfleet.domain.common.ShownText.escaped(key.length() > 64 ? key.substring(0, 64) + "…" : key)
                        + "'; known: password_dirs, password_env, hosts"));
            }
        }
        return Optional.of(new HostAllowances(strings(o, "password_dirs"), strings(o, "password_env"),
                strings(o, "hosts")));
    }

    private static List<String> strings(JsonObject o, String key) {
        JsonValue v = o.get(key);
        if (v == null || v == JsonValue.NULL) {
            return List.of();
        }
        if (!(v instanceof jakarta.json.JsonArray a) || a.stream().anyMatch(e -> !(e instanceof JsonString))
                || a.size() > HostAllowances.MAX_ENTRIES) {
            throw new ApiException(Problem.badRequest("'allow_lists." + key + "' must be a list of at most "
                    + HostAllowances.MAX_ENTRIES + " strings"));
        }
        return a.getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }

    private static String string(JsonObject body, String key, boolean required) {
        JsonValue v = body.get(key);
        if (v == null || v == JsonValue.NULL) {
            if (required) {
                throw new ApiException(Problem.badRequest("'" + key + "' is required"));
            }
            return "";
        }
        if (!(v instanceof JsonString s)) {
            throw new ApiException(Problem.badRequest("'" + key + "' must be a string"));
        }
        return s.getString();
    }
}
