package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.PublishResult;
import jakarta.json.Json;
import jakarta.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * {@code /api/v1/config}: read and publish collector configurations.
 */
final class ConfigHttpService implements HttpService {

    static final HeaderName CONFIG_VERSION = HeaderNames.create("X-Config-Version");
    static final HeaderName CHANGE_MESSAGE = HeaderNames.create("X-Change-Message");
    static final String TOML = "application/toml";
    private static final Set<String> ACCEPTED_INPUT = Set.of(TOML, "text/plain");

    private final PublishConfigUseCase publish;
    private final GetConfigQuery query;

    ConfigHttpService(PublishConfigUseCase publish, GetConfigQuery query) {
        this.publish = publish;
        this.query = query;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/{id}", this::getLatest)
                .put("/{id}", this::put)
                .get("/{id}/versions/{version}", this::getVersion);
    }

    private void getLatest(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        sendLookup(req, res, query.latest(id));
    }

    private void getVersion(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        ConfigVersion version = PathParams.version(req);
        sendLookup(req, res, query.version(id, version));
    }

    private void sendLookup(ServerRequest req, ServerResponse res, ConfigLookup lookup) {
        switch (lookup) {
            case ConfigLookup.Found found -> sendRevision(req, res, found.revision());
            case ConfigLookup.CollectorNotFound nf -> Problem.notFound("collector-not-found",
                    "no collector has the id '" + nf.collectorId() + "'").send(res);
            case ConfigLookup.NoConfiguration none -> Problem.notFound("no-configuration",
                    "collector '" + none.collectorId() + "' has no configuration yet").send(res);
            case ConfigLookup.VersionNotFound vnf -> Problem.notFound("version-not-found",
                    "collector '" + vnf.collectorId() + "' has no version " + vnf.version()).send(res);
        }
    }

    private static void sendRevision(ServerRequest req, ServerResponse res, ConfigRevision revision) {
        res.header(CONFIG_VERSION, revision.version().toString());
        res.header(HeaderNames.ETAG, revision.entityTag().quoted());
        res.header(HeaderNames.LAST_MODIFIED, HttpDates.header(revision.createdAt()));
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        boolean notModified = req.headers().first(HeaderNames.IF_NONE_MATCH)
                .map(h -> EntityTags.noneMatchMatches(h, revision.entityTag()))
                .orElse(false);
        if (notModified) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, TOML + "; charset=utf-8");
        res.send(revision.document().text().getBytes(StandardCharsets.UTF_8));
    }

    private void put(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        req.headers().contentType().ifPresent(ct -> {
            String type = ct.mediaType().text().toLowerCase(Locale.ROOT);
            if (!ACCEPTED_INPUT.contains(type)) {
                throw new ApiException(Bodies.unsupportedMediaType(type, TOML, "text/plain"));
            }
        });
        Precondition precondition = req.headers().first(HeaderNames.IF_MATCH)
                .map(EntityTags::ifMatch)
                .orElseGet(Precondition.None::new);
        String message = req.headers().first(CHANGE_MESSAGE).orElse("");
        if (message.length() > PublishRequest.MAX_MESSAGE_LENGTH) {
            throw new ApiException(Problem.badRequest("X-Change-Message is limited to "
                    + PublishRequest.MAX_MESSAGE_LENGTH + " characters"));
        }
        String text = Bodies.readText(req);
        if (text.isBlank()) {
            throw new ApiException(Problem.badRequest("the configuration document is empty"));
        }
        PublishResult result = publish.publish(new PublishConfigCommand(id, new ConfigDocument(text), precondition,
                Callers.actor(req), message));
        switch (result) {
            case PublishResult.Published p -> {
                res.status(Status.CREATED_201);
                res.header(HeaderNames.LOCATION, "/api/v1/config/" + id + "/versions/" + p.revision().version());
                sendPublished(res, p.revision());
            }
            case PublishResult.Unchanged u -> {
                res.status(Status.OK_200);
                sendPublished(res, u.latest());
            }
            case PublishResult.VersionConflict c -> new Problem(Status.PRECONDITION_FAILED_412, "version-conflict",
                    "The configuration changed since you read it",
                    c.current().map(r -> "the latest version is now " + r.version() + " (ETag " + r.entityTag().quoted()
                            + "); fetch it, merge your change and publish again with its ETag")
                            .orElse("collector '" + id + "' has no configuration yet, so If-Match cannot match"),
                    c.current().<java.util.Map<String, Object>>map(r -> java.util.Map.of(
                            "current_version", r.version().value(), "current_etag", r.entityTag().quoted()))
                            .orElse(java.util.Map.of()))
                    .send(res);
            case PublishResult.CollectorNotFound nf -> Problem.notFound("collector-not-found",
                    "no collector has the id '" + nf.collectorId() + "'; create it with POST /api/v1/collectors first")
                    .send(res);
        }
    }

    private static void sendPublished(ServerResponse res, ConfigRevision r) {
        res.header(HeaderNames.ETAG, r.entityTag().quoted());
        res.header(CONFIG_VERSION, r.version().toString());
        JsonObject body = Json.createObjectBuilder()
                .add("collector_id", r.collectorId().value())
                .add("version", r.version().value())
                .add("etag", r.entityTag().quoted())
                .add("created_at", HttpDates.json(r.createdAt()))
                .add("created_by", r.createdBy())
                .add("message", r.message())
                .add("source", r.source().label())
                .build();
        Jsons.send(res, body);
    }
}
