package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.ExplainEffectiveQuery;
import io.pgfleet.application.port.in.LayerQuery;
import io.pgfleet.application.port.in.LayerUseCases;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.common.ShownText;
import io.pgfleet.domain.layer.Composition;
import io.pgfleet.domain.layer.Group;
import io.pgfleet.domain.layer.GroupId;
import io.pgfleet.domain.layer.LabelSelector;
import io.pgfleet.domain.layer.LayerChangeResult;
import io.pgfleet.domain.layer.LayerError;
import io.pgfleet.domain.layer.LayerId;
import io.pgfleet.domain.layer.LayerPublishResult;
import io.pgfleet.domain.layer.LayerRevision;
import io.pgfleet.domain.layer.MemberErrors;
import io.pgfleet.domain.schema.ValidationError;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Fleet configuration under {@code /api/v1}: the fleet layer, groups and their layers, a
 * collector's own layer, its effective configuration key by key, its labels and decommissioning.
 */
final class LayersHttpService implements ApiService {

    private static final Set<String> GROUP_FIELDS = Set.of("id", "selector", "priority", "description");

    /** On the history of a deleted group's layer: when the group was deleted (RFC 3339). */
    static final io.helidon.http.HeaderName GROUP_DELETED_AT = HeaderNames.create("X-Group-Deleted-At");

    private final LayerUseCases layers;

    LayersHttpService(LayerUseCases layers) {
        this.layers = layers;
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.get("/config/{id}/own", RouteAccess.onCollectorInPath(Operation.READ_HISTORY), DecommissionedFirst.of(this::own))
                .get("/collectors/{id}/effective", RouteAccess.onCollectorInPath(Operation.READ_HISTORY),
                        DecommissionedFirst.of(this::effective))
                .patch("/collectors/{id}", RouteAccess.onCollectorInPath(Operation.PROVISION_COLLECTOR),
                        DecommissionedFirst.of(this::patchCollector))
                .delete("/collectors/{id}", RouteAccess.onCollectorInPath(Operation.PROVISION_COLLECTOR),
                        DecommissionedFirst.of(this::decommission))
                .get("/fleet/config", RouteAccess.allowed(Operation.READ_HISTORY), (req, res) -> latest(req, res, fleet()))
                .put("/fleet/config", RouteAccess.allowed(Operation.PUBLISH_CONFIG), (req, res) -> put(req, res, fleet()))
                .get("/fleet/config/versions", RouteAccess.allowed(Operation.READ_HISTORY),
                        (req, res) -> history(req, res, fleet()))
                .get("/fleet/config/versions/{version}", RouteAccess.allowed(Operation.READ_HISTORY),
                        (req, res) -> version(req, res, fleet()))
                .get("/fleet/config/diff", RouteAccess.allowed(Operation.READ_HISTORY), (req, res) -> diff(req, res, fleet()))
                .post("/fleet/config/rollback", RouteAccess.allowed(Operation.ROLLBACK_CONFIG),
                        (req, res) -> rollback(req, res, fleet()))
                .post("/groups", RouteAccess.allowed(Operation.PUBLISH_CONFIG), this::createGroup)
                .get("/groups", RouteAccess.allowed(Operation.LIST_COLLECTORS), this::listGroups)
                .get("/groups/{group}", RouteAccess.allowed(Operation.LIST_COLLECTORS), this::getGroup)
                .patch("/groups/{group}", RouteAccess.allowed(Operation.PUBLISH_CONFIG), this::patchGroup)
                .delete("/groups/{group}", RouteAccess.allowed(Operation.PUBLISH_CONFIG), this::deleteGroup)
                .get("/groups/{group}/members", RouteAccess.allowed(Operation.LIST_COLLECTORS), this::members)
                .get("/groups/{group}/config", RouteAccess.allowed(Operation.READ_HISTORY),
                        (req, res) -> latest(req, res, group(req)))
                .put("/groups/{group}/config", RouteAccess.allowed(Operation.PUBLISH_CONFIG),
                        (req, res) -> put(req, res, group(req)))
                .get("/groups/{group}/config/versions", RouteAccess.allowed(Operation.READ_HISTORY),
                        (req, res) -> history(req, res, group(req)))
                .get("/groups/{group}/config/versions/{version}", RouteAccess.allowed(Operation.READ_HISTORY),
                        (req, res) -> version(req, res, group(req)))
                .get("/groups/{group}/config/diff", RouteAccess.allowed(Operation.READ_HISTORY),
                        (req, res) -> diff(req, res, group(req)))
                .post("/groups/{group}/config/rollback", RouteAccess.allowed(Operation.ROLLBACK_CONFIG),
                        (req, res) -> rollback(req, res, group(req)));
    }

    private static LayerId fleet() {
        return new LayerId.Fleet();
    }

    private static GroupId groupId(ServerRequest req) {
        String raw = req.path().pathParameters().get("group");
        try {
            return new GroupId(raw);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("'" + raw + "' is not a group id: " + e.getMessage()));
        }
    }

    private static LayerId group(ServerRequest req) {
        return new LayerId.Group(groupId(req));
    }

    // ---- a collector's own layer, its effective configuration, labels

    private void own(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        switch (layers.own().own(id)) {
            case ConfigLookup.Found f -> ConfigHttpService.sendRevision(req, res, f.revision());
            case ConfigLookup.CollectorNotFound nf -> collectorNotFound(res, id);
            case ConfigLookup.NoConfiguration n -> Problem.notFound(ProblemType.NO_CONFIGURATION,
                    "collector '" + id + "' has no own configuration").send(res);
            case ConfigLookup.VersionNotFound v -> collectorNotFound(res, id);
            case ConfigLookup.Decommissioned d -> UnknownCollectors.gone(res, id, d.at());
        }
    }

    private static void collectorNotFound(ServerResponse res, CollectorId id) {
        UnknownCollectors.notFound(res, id);
    }

    private void effective(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        ExplainEffectiveQuery.Explanation explained;
        switch (layers.explain().explain(id)) {
            case ExplainEffectiveQuery.ExplainResult.Explained e -> explained = e.explanation();
            case ExplainEffectiveQuery.ExplainResult.CollectorNotFound nf -> {
                collectorNotFound(res, id);
                return;
            }
            case ExplainEffectiveQuery.ExplainResult.Decommissioned d -> {
                UnknownCollectors.gone(res, id, d.at());
                return;
            }
        }
        JsonObjectBuilder body = Json.createObjectBuilder().add("collector_id", id.value());
        explained.revision().ifPresentOrElse(r -> body
                        .add("revision", r.revision().value())
                        .add("etag", r.entityTag().quoted())
                        .add("effective_sha256", r.effectiveSha256()),
                () -> body.addNull("revision").addNull("etag"));
        switch (explained.composition()) {
            case Composition.Composed c -> {
                JsonArrayBuilder sources = Json.createArrayBuilder();
                c.sources().forEach(sources::add);
                JsonObjectBuilder keys = Json.createObjectBuilder();
                c.keys().forEach((k, v) -> keys.add(k, Json.createObjectBuilder()
                        .add("value", json(v.value())).add("source", v.source())));
                body.add("valid", true).add("sources", sources).add("keys", keys);
            }
            case Composition.Invalid inv -> body.add("valid", false).add("errors", layerErrors(inv.errors()));
        }
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        Jsons.send(req, res, body.build());
    }

    private static JsonValue json(Object v) {
        if (v instanceof List<?> list) {
            JsonArrayBuilder a = Json.createArrayBuilder();
            list.forEach(x -> a.add(Jsons.value(x)));
            return a.build();
        }
        return Jsons.value(v);
    }

    private void patchCollector(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        JsonObject body = Jsons.readObject(req);
        for (String key : body.keySet()) {
            if (!key.equals("labels")) {
                throw new ApiException(Problem.badRequest("unknown field '" + key + "'; expected labels"));
            }
        }
        if (!body.containsKey("labels")) {
            throw new ApiException(Problem.badRequest("'labels' is required"));
        }
        Map<String, String> labels = stringMap(body, "labels");
        LayerChangeResult result;
        try {
            result = layers.labels().changeLabels(id, labels, Callers.actor(req), CapabilitiesJson.mode(req));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        sendChange(res, result, () -> collectorNotFound(res, id), () -> {
            JsonObjectBuilder l = Json.createObjectBuilder();
            labels.forEach(l::add);
            Jsons.send(res, Json.createObjectBuilder().add("id", id.value()).add("labels", l)
                    .add("effective_changed", ((LayerChangeResult.Done) result).changed()).build());
        });
    }

    private void decommission(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        sendChange(res, layers.labels().decommission(id, Callers.actor(req)), () -> collectorNotFound(res, id),
                () -> res.status(Status.NO_CONTENT_204).send());
    }

    // ---- groups

    private void createGroup(ServerRequest req, ServerResponse res) {
        JsonObject body = Jsons.readObject(req);
        checkFields(body);
        if (!(body.get("id") instanceof JsonString idText)) {
            throw new ApiException(Problem.badRequest("'id' (a string) is required"));
        }
        Group group;
        try {
            group = new Group(new GroupId(idText.getString()),
                    new LabelSelector(body.containsKey("selector") ? stringMap(body, "selector") : Map.of()),
                    priority(body).orElse(0), description(body).orElse(""));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        LayerChangeResult result = layers.groups().create(group, Callers.actor(req));
        if (result instanceof LayerChangeResult.AlreadyExists) {
            new Problem(Status.CONFLICT_409, ProblemType.GROUP_EXISTS, "The group exists",
                    "a group with the id '" + group.id() + "' exists or existed; a deleted group's id is"
                            + " not reused until retention purges the group").send(res);
            return;
        }
        sendChange(res, result, () -> groupNotFound(res, group.id()), () -> {
            res.status(Status.CREATED_201);
            Locations.created(req, res, "/api/v1/groups/" + group.id());
            Jsons.send(res, groupJson(group).build());
        });
    }

    private static void checkFields(JsonObject body) {
        for (String key : body.keySet()) {
            if (!GROUP_FIELDS.contains(key)) {
                throw new ApiException(Problem.badRequest("unknown field '" + key + "'; expected id, selector, priority, description"));
            }
        }
    }

    private static OptionalInt priority(JsonObject body) {
        if (!body.containsKey("priority")) {
            return OptionalInt.empty();
        }
        java.util.OptionalLong priority = Jsons.integer(body.get("priority"), -1_000_000, 1_000_000);
        if (priority.isEmpty()) {
            throw new ApiException(Problem.badRequest("'priority' must be an integer from -1000000 to 1000000"));
        }
        return OptionalInt.of((int) priority.getAsLong());
    }

    private static Optional<String> description(JsonObject body) {
        if (!body.containsKey("description")) {
            return Optional.empty();
        }
        if (!(body.get("description") instanceof JsonString s)) {
            throw new ApiException(Problem.badRequest("'description' must be a string"));
        }
        return Optional.of(s.getString());
    }

    private static Map<String, String> stringMap(JsonObject body, String field) {
        if (!(body.get(field) instanceof JsonObject o)) {
            throw new ApiException(Problem.badRequest("'" + field + "' must be an object of strings"));
        }
        Map<String, String> out = new LinkedHashMap<>();
        o.forEach((k, v) -> {
            if (!(v instanceof JsonString s)) {
                throw new ApiException(Problem.badRequest("'" + field + "." + k + "' must be a string"));
            }
            out.put(k, s.getString());
        });
        return out;
    }

    private static JsonObjectBuilder groupJson(Group g) {
        JsonObjectBuilder selector = Json.createObjectBuilder();
        g.selector().labels().forEach(selector::add);
        return Json.createObjectBuilder().add("id", g.id().value()).add("selector", selector)
                .add("priority", g.priority()).add("description", g.description());
    }

    private void listGroups(ServerRequest req, ServerResponse res) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        layers.query().groups().forEach(g -> list.add(groupJson(g)));
        Jsons.send(req, res, Json.createObjectBuilder().add("groups", list).build());
    }

    private void getGroup(ServerRequest req, ServerResponse res) {
        GroupId id = groupId(req);
        layers.query().group(id).ifPresentOrElse(g -> {
            JsonObjectBuilder o = groupJson(g);
            layers.query().latest(new LayerId.Group(id)).ifPresentOrElse(
                    r -> o.add("config_version", r.version().value()), () -> o.addNull("config_version"));
            Jsons.send(req, res, o.build());
        }, () -> groupGone(res, id));
    }

    private static void groupNotFound(ServerResponse res, GroupId id) {
        Problem.notFound(ProblemType.GROUP_NOT_FOUND, "no group has the id '" + id + "'").send(res);
    }

    /** Like {@link #groupNotFound}, saying when the group was deleted and where its history stays. */
    private void groupGone(ServerResponse res, GroupId id) {
        String detail = layers.query().groupDeletedAt(id)
                .map(at -> "group '" + id + "' was deleted at " + at + "; its layer's history stays readable at"
                        + " /api/v1/groups/" + id + "/config/versions until retention purges the group")
                .orElse("no group has the id '" + id + "'");
        Problem.notFound(ProblemType.GROUP_NOT_FOUND, detail).send(res);
    }

    private void patchGroup(ServerRequest req, ServerResponse res) {
        GroupId id = groupId(req);
        JsonObject body = Jsons.readObject(req);
        checkFields(body);
        if (body.containsKey("id")) {
            throw new ApiException(Problem.badRequest("a group's id cannot change"));
        }
        LayerChangeResult result;
        try {
            result = layers.groups().update(id,
                    body.containsKey("selector") ? Optional.of(new LabelSelector(stringMap(body, "selector"))) : Optional.empty(),
                    priority(body), description(body), Callers.actor(req), CapabilitiesJson.mode(req));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        sendChange(res, result, () -> groupNotFound(res, id), () -> getGroup(req, res));
    }

    private void deleteGroup(ServerRequest req, ServerResponse res) {
        GroupId id = groupId(req);
        sendChange(res, layers.groups().delete(id, Callers.actor(req)), () -> groupNotFound(res, id),
                () -> res.status(Status.NO_CONTENT_204).send());
    }

    private void members(ServerRequest req, ServerResponse res) {
        GroupId id = groupId(req);
        int limit = QueryParams.integer(req, "limit", 100, 1, LayerQuery.MAX_PAGE);
        String after = QueryParams.text(req, "after");
        layers.query().members(id, after, limit).ifPresentOrElse(ids -> {
            JsonArrayBuilder list = Json.createArrayBuilder();
            ids.forEach(c -> list.add(c.value()));
            JsonObjectBuilder body = Json.createObjectBuilder().add("group", id.value()).add("members", list);
            if (ids.size() == limit) {
                String next = "/api/v1/groups/" + id + "/members?limit=" + limit + "&after=" + ids.get(ids.size() - 1);
                body.add("next", next);
                NextPages.link(req, res, next);
            } else {
                body.addNull("next");
            }
            Jsons.send(req, res, body.build());
        }, () -> groupNotFound(res, id));
    }

    private static void sendChange(ServerResponse res, LayerChangeResult result, Runnable notFound, Runnable done) {
        switch (result) {
            case LayerChangeResult.Done d -> done.run();
            case LayerChangeResult.NotFound n -> notFound.run();
            case LayerChangeResult.Decommissioned d -> UnknownCollectors.gone(res, d.collectorId(), d.at());
            // Only a group's creation meets an existing id, and answers it above with the id; a group
            // it remains, so any other change that met one would say so with the same type.
            case LayerChangeResult.AlreadyExists a -> new Problem(Status.CONFLICT_409, ProblemType.GROUP_EXISTS,
                    "The group exists", "the group exists or existed; a deleted group's id is not reused until"
                            + " retention purges the group").send(res);
            case LayerChangeResult.MembersInvalid m -> membersInvalid(m.members(), m.total()).send(res);
            case LayerChangeResult.LacksCapabilities l -> CapabilitiesJson.refusal(l.refusal()).send(res);
            case LayerChangeResult.TooManyGroups t -> new Problem(Status.CONFLICT_409, ProblemType.TOO_MANY_GROUPS,
                    "Too many groups", "there are " + t.limit() + " groups, the most the server keeps; delete one"
                    + " first", Map.of("limit", t.limit())).send(res);
            case LayerChangeResult.UnderRollout u -> new Problem(Status.CONFLICT_409, ProblemType.ROLLOUT_IN_PROGRESS,
                    "A rollout holds the layer", "rollout " + u.rollout() + " is rolling out this group's layer; promote"
                    + " or abort it first", Map.of("rollout", u.rollout())).send(res);
        }
    }

    // ---- the fleet layer and group layers

    private void latest(ServerRequest req, ServerResponse res, LayerId layer) {
        if (missingGroup(res, layer)) {
            return;
        }
        layers.query().latest(layer).ifPresentOrElse(r -> sendLayer(req, res, r),
                () -> Problem.notFound(ProblemType.NO_CONFIGURATION, layer.label() + " has no configuration yet").send(res));
    }

    private boolean missingGroup(ServerResponse res, LayerId layer) {
        if (layer instanceof LayerId.Group g && layers.query().group(g.id()).isEmpty()) {
            groupGone(res, g.id());
            return true;
        }
        return false;
    }

    /** Whether a layer's history can be read. */
    private sealed interface History {
        /** The fleet's or an existing group's. */
        record Live() implements History {
        }

        /** @param at when the group was deleted */
        record OfDeletedGroup(Instant at) implements History {
        }

        /** No group ever had the id: {@code 404} was answered. */
        record Missing() implements History {
        }
    }

    /**
     * Whether a layer's history can be read, answering {@code 404} when not. A deleted group's
     * history stays readable: rollouts and the audit trail name its versions, and its id is not
     * given to another group, until the retention purge deletes the group with them. Such an answer carries {@link #GROUP_DELETED_AT}.
     */
    private History historyOf(ServerResponse res, LayerId layer) {
        if (!(layer instanceof LayerId.Group g) || layers.query().group(g.id()).isPresent()) {
            return new History.Live();
        }
        Optional<Instant> deleted = layers.query().groupDeletedAt(g.id());
        if (deleted.isEmpty()) {
            groupGone(res, g.id());
            return new History.Missing();
        }
        res.header(GROUP_DELETED_AT, deleted.get().toString());
        return new History.OfDeletedGroup(deleted.get());
    }

    private void version(ServerRequest req, ServerResponse res, LayerId layer) {
        ConfigVersion v = PathParams.version(req);
        if (historyOf(res, layer) instanceof History.Missing) {
            return;
        }
        layers.query().version(layer, v).ifPresentOrElse(r -> sendLayer(req, res, r),
                () -> Problem.notFound(ProblemType.VERSION_NOT_FOUND, layer.label() + " has no version " + v).send(res));
    }

    private static void sendLayer(ServerRequest req, ServerResponse res, LayerRevision r) {
        res.header(ConfigHttpService.CONFIG_VERSION, r.version().toString());
        res.header(HeaderNames.ETAG, r.entityTag().quoted());
        res.header(HeaderNames.LAST_MODIFIED, HttpDates.header(r.createdAt()));
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        Optional<Problem> failed = ReadPreconditions.failed(req, r.entityTag(), r.createdAt(), r.layer().label() + " version " + r.version());
        if (failed.isPresent()) {
            failed.get().send(res);
            return;
        }
        boolean notModified = EntityTags.header(req, HeaderNames.IF_NONE_MATCH)
                .map(h -> EntityTags.noneMatchMatches(h, r.entityTag())).orElse(false);
        if (notModified) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, ConfigHttpService.TOML + "; charset=utf-8");
        Compression.send(req, res, r.document().text().getBytes(StandardCharsets.UTF_8));
    }

    private void put(ServerRequest req, ServerResponse res, LayerId layer) {
        Precondition precondition = ConfigHttpService.precondition(req);
        String message = ConfigHttpService.changeMessage(req);
        sendPublish(req, res, layer, layers.publish().publish(layer, ConfigHttpService.readDocument(req), precondition,
                Callers.actor(req), message, CapabilitiesJson.mode(req)));
    }

    private void rollback(ServerRequest req, ServerResponse res, LayerId layer) {
        Precondition precondition = ConfigHttpService.precondition(req);
        VersionedDocuments.RollbackBody body = VersionedDocuments.RollbackBody.read(req);
        sendPublish(req, res, layer, layers.publish().rollback(layer, body.toVersion(), precondition,
                Callers.actor(req), body.message(), CapabilitiesJson.mode(req)));
    }

    private static String path(LayerId layer) {
        return layer instanceof LayerId.Group g ? "/api/v1/groups/" + g.id() + "/config" : "/api/v1/fleet/config";
    }

    private static void sendPublish(ServerRequest req, ServerResponse res, LayerId layer, LayerPublishResult result) {
        switch (result) {
            case LayerPublishResult.Published p -> {
                res.status(Status.CREATED_201);
                Locations.created(req, res, path(layer) + "/versions/" + p.revision().version());
                sendPublished(res, p.revision(), p.changed());
            }
            case LayerPublishResult.Unchanged u -> sendPublished(res, u.latest(), 0);
            case LayerPublishResult.VersionConflict c -> new Problem(Status.PRECONDITION_FAILED_412, ProblemType.VERSION_CONFLICT,
                    "The configuration changed since you read it",
                    c.current().map(r -> "the latest version of " + layer.label() + " is now " + r.version() + " (ETag "
                            + r.entityTag().quoted() + "); fetch it, merge your change and publish again with its ETag")
                            .orElse(layer.label() + " has no configuration yet, so If-Match cannot match"),
                    c.current().<Map<String, Object>>map(r -> Map.of(
                            "current_version", r.version().value(), "current_etag", r.entityTag().quoted()))
                            .orElse(Map.of()))
                    .send(res);
            case LayerPublishResult.GroupNotFound g -> groupNotFound(res, g.id());
            case LayerPublishResult.UnknownVersion u -> Problem.notFound(ProblemType.VERSION_NOT_FOUND,
                    u.layer().label() + " has no version " + u.version() + " to roll back to").send(res);
            case LayerPublishResult.Invalid inv ->
                    ConfigHttpService.invalid(inv.layer(), inv.errors(), inv.total()).send(res);
            case LayerPublishResult.MembersInvalid m -> membersInvalid(m.members(), m.total()).send(res);
            case LayerPublishResult.LacksCapabilities l -> CapabilitiesJson.refusal(l.refusal()).send(res);
            case LayerPublishResult.UnderRollout u -> RolloutsHttpService.busy(u.layer(), u.rollout()).send(res);
        }
    }

    private static void sendPublished(ServerResponse res, LayerRevision r, int changed) {
        res.header(HeaderNames.ETAG, r.entityTag().quoted());
        res.header(ConfigHttpService.CONFIG_VERSION, r.version().toString());
        Jsons.send(res, VersionedDocuments.historyEntry(r.version(), r.entityTag(), r.createdAt(), r.createdBy(),
                r.message(), r.source()).add("layer", r.layer().label()).add("effective_changed", changed).build());
    }

    private void history(ServerRequest req, ServerResponse res, LayerId layer) {
        History readable = historyOf(res, layer);
        if (readable instanceof History.Missing) {
            return;
        }
        int limit = QueryParams.integer(req, "limit", 50, 1, LayerQuery.MAX_PAGE);
        int before = QueryParams.integer(req, "before", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
        List<LayerRevision> page = layers.query().history(layer, before, limit + 1);
        boolean more = page.size() > limit;
        List<LayerRevision> shown = more ? page.subList(0, limit) : page;
        JsonArrayBuilder versions = Json.createArrayBuilder();
        shown.forEach(r -> versions.add(VersionedDocuments.historyEntry(r.version(), r.entityTag(), r.createdAt(),
                r.createdBy(), r.message(), r.source())));
        Optional<String> next = more
                ? Optional.of(path(layer) + "/versions?limit=" + limit + "&before=" + shown.get(shown.size() - 1).version())
                : Optional.empty();
        JsonObjectBuilder body = Json.createObjectBuilder().add("layer", layer.label());
        if (readable instanceof History.OfDeletedGroup d) {
            body.add("deleted_at", d.at().toString());
        }
        VersionedDocuments.sendPage(req, res, body.add("versions", versions), next);
    }

    private void diff(ServerRequest req, ServerResponse res, LayerId layer) {
        if (historyOf(res, layer) instanceof History.Missing) {
            return;
        }
        ConfigVersion from = new ConfigVersion(QueryParams.integer(req, "from", 0, 1, Integer.MAX_VALUE));
        ConfigVersion to = new ConfigVersion(QueryParams.integer(req, "to", 0, 1, Integer.MAX_VALUE));
        Optional<LayerRevision> a = layers.query().version(layer, from);
        Optional<LayerRevision> b = layers.query().version(layer, to);
        if (a.isEmpty() || b.isEmpty()) {
            Problem.notFound(ProblemType.VERSION_NOT_FOUND, layer.label() + " has no version " + (a.isEmpty() ? from : to)).send(res);
            return;
        }
        VersionedDocuments.sendDiff(req, res, UnifiedDiff.between(layer.label() + " version " + from,
                layer.label() + " version " + to, a.get().document().text().lines().toList(),
                b.get().document().text().lines().toList()));
    }

    // ---- problems

    private static JsonObjectBuilder error(String layer, ValidationError e) {
        return Json.createObjectBuilder().add("layer", layer).add("line", e.line()).add("column", e.column())
                .add("key", ShownText.escaped(e.key())).add("message", ShownText.escaped(e.message()));
    }

    private static JsonArrayBuilder layerErrors(List<LayerError> errors) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        errors.forEach(e -> list.add(error(e.layer(), e.error())));
        return list;
    }

    static Problem membersInvalid(List<MemberErrors> members, int total) {
        return membersInvalid(members, total, "nothing was stored", Map.of());
    }

    /**
     * The {@code invalid-effective-configuration} answer: how many collectors, the first of them with
     * their errors, what became of the request ({@code outcome}, said after the count) and more fields.
     */
    static Problem membersInvalid(List<MemberErrors> members, int total, String outcome, Map<String, Object> extra) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        for (MemberErrors m : members) {
            list.add(Json.createObjectBuilder().add("collector_id", m.collectorId().value())
                    .add("errors", layerErrors(m.errors())));
        }
        String first = members.isEmpty() ? "" : ": " + members.get(0).collectorId() + " " + members.get(0).errors().get(0);
        Map<String, Object> fields = new LinkedHashMap<>(extra);
        fields.put("members", list.build());
        fields.put("total", total);
        return new Problem(Status.create(422, "Unprocessable Content"), ProblemType.INVALID_EFFECTIVE_CONFIGURATION,
                "The change would make collectors' effective configurations invalid",
                total + (total == 1 ? " collector" : " collectors") + " would get an invalid configuration; " + outcome
                        + first,
                fields);
    }
}
