package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.CallerWatchesUseCase;
import io.pgfleet.application.port.in.ConfigUseCases;
import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.ConfigLookup;
import io.pgfleet.application.port.in.ConfigHistoryQuery.HistoryLookup;
import io.pgfleet.application.port.in.RollbackConfigCommand;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.in.ValidateConfigQuery;
import io.pgfleet.application.port.in.WatchConfigQuery;
import io.pgfleet.application.port.in.WatchHold;
import io.pgfleet.application.port.in.RestoredStatusUseCase;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.PublishConfigCommand;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.access.Principal;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.collector.CollectorId;
import io.pgfleet.domain.common.ShownText;
import io.pgfleet.domain.config.ConfigDocument;
import io.pgfleet.domain.config.ConfigRevision;
import io.pgfleet.domain.config.ConfigVersion;
import io.pgfleet.domain.config.Precondition;
import io.pgfleet.domain.config.PublishRequest;
import io.pgfleet.domain.config.PublishResult;
import io.pgfleet.domain.schema.Validation;
import io.pgfleet.domain.schema.ValidationError;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /api/v1/config}: read and publish collector configurations.
 */
final class ConfigHttpService implements ApiService {

    static final HeaderName CONFIG_VERSION = HeaderNames.create("X-Config-Version");
    static final HeaderName CHANGE_MESSAGE = HeaderNames.create("X-Change-Message");
    /** The layer versions an effective document was merged from, e.g. {@code fleet@3, group/prod-eu@7, collector@2}. */
    static final HeaderName CONFIG_SOURCES = HeaderNames.create("X-Config-Sources");
    /** Whether a diff is minimal, or one replacement because its work bound was reached. */
    static final HeaderName DIFF_MINIMAL = HeaderNames.create("X-Diff-Minimal");
    static final String TOML = "application/toml";
    private static final Set<String> ACCEPTED_INPUT = Set.of(TOML, "text/plain");

    private final PublishConfigUseCase publish;
    private final GetConfigQuery query;
    private final RollbackConfigUseCase rollback;
    private final ValidateConfigQuery validate;
    private final ConfigHistoryQuery history;

    /** The longest hold of a watch, whatever the client asks. */
    static final int MAX_WAIT_SECONDS = 60;

    private final WatchConfigQuery watch;
    private final HttpMetrics metrics;
    /** Tells a collector whose history retention purged, for the routes that read that history. */
    private final io.pgfleet.application.port.in.DecommissionedQuery decommissioned;
    private final WatchLimiter watchLimiter;
    private final CallerWatchesUseCase callerWatches;
    private final RestoredStatusUseCase restored;

    ConfigHttpService(ConfigUseCases config, HttpMetrics metrics, WatchLimiter watchLimiter, CallerWatchesUseCase callerWatches,
                      io.pgfleet.application.port.in.DecommissionedQuery decommissioned) {
        this.decommissioned = java.util.Objects.requireNonNull(decommissioned, "decommissioned");
        this.watchLimiter = watchLimiter;
        this.callerWatches = callerWatches;
        this.metrics = metrics;
        this.watch = config.watch();
        this.publish = config.publish();
        this.query = config.get();
        this.rollback = config.rollback();
        this.validate = config.validate();
        this.history = config.history();
        this.restored = config.restored();
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.post("/validate", RouteAccess.allowed(Operation.VALIDATE_CONFIG), this::validate)
                .get("/{id}", RouteAccess.onCollectorInPath(Operation.READ_CONFIG), DecommissionedFirst.of(this::getLatest))
                .put("/{id}", RouteAccess.onCollectorInPath(Operation.PUBLISH_CONFIG), DecommissionedFirst.of(this::put))
                .get("/{id}/versions", RouteAccess.onCollectorInPath(Operation.READ_HISTORY), this::history)
                .get("/{id}/versions/{version}", RouteAccess.onCollectorInPath(Operation.READ_HISTORY), this::getVersion)
                .get("/{id}/diff", RouteAccess.onCollectorInPath(Operation.READ_HISTORY), this::diff)
                .post("/{id}/rollback", RouteAccess.onCollectorInPath(Operation.ROLLBACK_CONFIG),
                        DecommissionedFirst.of(this::rollback));
    }

    private void getLatest(ServerRequest req, ServerResponse res) throws InterruptedException {
        CollectorId id = PathParams.collectorId(req);
        Principal caller = Callers.principal(req);
        if (!req.query().contains("wait")) {
            ConfigLookup latest = query.latest(id);
            runsCurrent(req, id, latest);
            sendLookup(req, res, latest);
            return;
        }
        int wait = QueryParams.integer(req, "wait", 0, 0, 3600);
        int after = QueryParams.integer(req, "after", 0, 0, Integer.MAX_VALUE);
        // Capped, and the end of the hold is spread so a fleet does not come back all at once.
        long holdMillis = Math.min(wait, MAX_WAIT_SECONDS) * 1000L;
        holdMillis += holdMillis == 0 ? 0 : java.util.concurrent.ThreadLocalRandom.current().nextLong(holdMillis / 10 + 1);
        // Collectors hold a bounded number of watches (a new one that waits ends the collector's oldest
        // at the limit); users (consoles, benchmarks) only the server's connection limit.
        boolean limited = caller.role() == Role.COLLECTOR;
        WatchHold hold = limited ? watchLimiter.hold(caller.subject()) : new WatchHold();
        ConfigLookup lookup;
        java.time.Instant holdStart = metrics.watchHoldStart();
        metrics.watchStarted();
        // Any caller's watch, a user's too, ends at once when its caller is revoked, decommissioned,
        // disabled or demoted, on this instance or another: it then checks its caller again below.
        try (CallerWatchesUseCase.Registration registered = callerWatches.hold(caller, Callers.session(req),
                Callers.checkedAt(req), hold)) {
            lookup = watch.awaitNewer(id, after, java.time.Duration.ofMillis(holdMillis), hold);
        } finally {
            metrics.watchEnded();
            if (limited) {
                watchLimiter.release(caller.subject(), hold);
            }
        }
        // The caller was checked when the watch began; a hold may outlast a revocation, a decommission
        // or a disabled user (which end it), and no answer (not even a 304) goes to a caller no longer
        // accepted. One answered at once was checked a moment ago, unless a change of its caller ended it.
        if ((hold.waited() || hold.ended()) && !Callers.stillAllowed(req)) {
            return;
        }
        runsCurrent(req, id, lookup);
        // The caller's own revision at the end of the hold. One older than the caller's is answered in
        // full (the database's history is behind the caller's: restored from an older backup), as a
        // newer one is; If-None-Match may still make that a 304 when the caller has it under its number.
        if (lookup instanceof ConfigLookup.Found found && found.revision().version().value() == after) {
            res.header(CONFIG_VERSION, found.revision().version().toString());
            res.header(HeaderNames.ETAG, found.revision().entityTag().quoted());
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        if (lookup instanceof ConfigLookup.NoConfiguration) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        // Only a version published while this watch was held measures propagation; one that was
        // already there when the agent asked would measure how long the agent was away.
        if (lookup instanceof ConfigLookup.Found found && !found.revision().createdAt().isBefore(holdStart)) {
            metrics.watchAnswered(found.revision().createdAt());
        }
        sendLookup(req, res, lookup);
    }

    /*
     * After a restore: the collector's own pull that is answered 304 because it holds its current
     * revision (If-None-Match names its tag) says what its agent runs, which ends the restore mark on
     * its apply status. Its agent sends no report then. So does its pull when nothing is published
     * for it and it names no revision and no tag: it runs the defaults, as the server has it (one that
     * names a revision runs a version the restore removed, and stays marked). Asked from memory, so
     * an ordinary pull (no collector marked) costs one lookup in an empty set.
     */
    private void runsCurrent(ServerRequest req, CollectorId id, ConfigLookup lookup) {
        if (!restored.marked(id)) {
            return;
        }
        Principal caller = Callers.principal(req);
        if (caller.role() != Role.COLLECTOR || !caller.subject().equals(id.value())) {
            return;
        }
        java.util.Optional<String> noneMatch = EntityTags.header(req, HeaderNames.IF_NONE_MATCH);
        if (lookup instanceof ConfigLookup.Found found) {
            if (noneMatch.map(h -> EntityTags.noneMatchMatches(h, found.revision().entityTag())).orElse(false)) {
                restored.runs(id, found.revision().version());
            }
        } else if (lookup instanceof ConfigLookup.NoConfiguration && noneMatch.isEmpty()
                && req.query().first("after").map("0"::equals).orElse(true)) {
            restored.runsNothing(id);
        }
    }

    private void getVersion(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        if (UnknownCollectors.purged(res, decommissioned, id)) {
            return;
        }
        ConfigVersion version = PathParams.version(req);
        sendLookup(req, res, query.version(id, version));
    }

    private void sendLookup(ServerRequest req, ServerResponse res, ConfigLookup lookup) {
        switch (lookup) {
            case ConfigLookup.Found found -> {
                if (!found.sources().isEmpty()) {
                    res.header(CONFIG_SOURCES, sourcesHeader(found.sources()));
                }
                sendRevision(req, res, found.revision());
            }
            case ConfigLookup.CollectorNotFound nf -> UnknownCollectors.notFound(res, nf.collectorId());
            case ConfigLookup.Decommissioned d -> UnknownCollectors.gone(res, d.collectorId(), d.at());
            case ConfigLookup.NoConfiguration none -> Problem.notFound(ProblemType.NO_CONFIGURATION,
                    "collector '" + none.collectorId() + "' has no configuration yet").send(res);
            case ConfigLookup.VersionNotFound vnf -> Problem.notFound(ProblemType.VERSION_NOT_FOUND,
                    "collector '" + vnf.collectorId() + "' has no version " + vnf.version()).send(res);
        }
    }

    /**
     * The most bytes of {@code X-Config-Sources}: proxies keep an answer's headers in one buffer
     * (nginx's default is 4 KiB, the other headers included), and a longer header would fail every
     * read of the configuration behind one. The full provenance is in {@code GET /collectors/{id}/effective}.
     */
    static final int MAX_SOURCES_HEADER = 1024;

    /**
     * The sources as the header lists them: in merge order while they fit in {@link #MAX_SOURCES_HEADER}
     * bytes, then how many more there are ({@code fleet@3, group/a@1, +298 more}).
     */
    static String sourcesHeader(java.util.List<String> sources) {
        String all = String.join(", ", sources);
        if (all.length() <= MAX_SOURCES_HEADER) {
            return all;
        }
        StringBuilder b = new StringBuilder();
        int listed = 0;
        for (String s : sources) {
            // Room kept for the tail, ", +N more", whatever N is.
            int tail = (", +" + sources.size() + " more").length();
            if (b.length() + (listed == 0 ? 0 : 2) + s.length() + tail > MAX_SOURCES_HEADER) {
                break;
            }
            b.append(listed == 0 ? "" : ", ").append(s);
            listed++;
        }
        return b.append(listed == 0 ? "+" : ", +").append(sources.size() - listed).append(" more").toString();
    }

    private static final io.helidon.http.Header NO_CACHE =
            io.helidon.http.HeaderValues.create(HeaderNames.CACHE_CONTROL, "no-cache");
    private static final io.helidon.http.Header TOML_TYPE =
            io.helidon.http.HeaderValues.create(HeaderNames.CONTENT_TYPE, TOML + "; charset=utf-8");

    static void sendRevision(ServerRequest req, ServerResponse res, ConfigRevision revision) {
        // Encoded once per revision and shared: the watchers one change wakes answer with the same bytes.
        EncodedRevisions.Encoded encoded = EncodedRevisions.shared().of(revision);
        res.header(encoded.version);
        res.header(encoded.etag);
        res.header(encoded.lastModified);
        res.header(NO_CACHE);
        Optional<Problem> failed = ReadPreconditions.failed(req, revision.entityTag(), revision.createdAt(),
                "collector '" + revision.collectorId() + "' version " + revision.version());
        if (failed.isPresent()) {
            failed.get().send(res);
            return;
        }
        boolean notModified = EntityTags.header(req, HeaderNames.IF_NONE_MATCH)
                .map(h -> EntityTags.noneMatchMatches(h, revision.entityTag()))
                .orElse(false);
        if (notModified) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(TOML_TYPE);
        Compression.send(req, res, encoded.body, encoded::gzip);
    }

    static ConfigDocument readDocument(ServerRequest req) {
        Bodies.mediaType(req).ifPresent(type -> {
            if (!ACCEPTED_INPUT.contains(type)) {
                throw new ApiException(Bodies.unsupportedMediaType(type, TOML, "text/plain"));
            }
        });
        String text = Bodies.readText(req);
        if (text.isBlank()) {
            throw new ApiException(Problem.badRequest("the configuration document is empty"));
        }
        return new ConfigDocument(text);
    }

    static Precondition precondition(ServerRequest req) {
        return EntityTags.header(req, HeaderNames.IF_MATCH)
                .map(EntityTags::ifMatch)
                .orElseGet(Precondition.None::new);
    }

    /** How {@code X-Change-Message} marks a message of any characters: RFC 8187's ext-value, UTF-8 percent-encoded. */
    static final String UTF8_EXT_VALUE = "UTF-8''";

    /**
     * The change message of a publish, checked as {@link #checkedMessage} checks it. A header
     * carries ASCII: Helidon reads any other byte as U+FFFD, so a message sent as raw UTF-8 (or
     * Latin-1) could only be stored garbled, for good. Such a header is refused, naming the form that
     * carries any text: RFC 8187's {@code UTF-8''caf%C3%A9}, which is decoded strictly.
     *
     * @param req the request
     * @return the message, empty when none was sent
     * @throws ApiException 400 naming the header
     */
    static String changeMessage(ServerRequest req) {
        String raw = req.headers().first(CHANGE_MESSAGE).orElse("");
        String message;
        if (raw.regionMatches(true, 0, UTF8_EXT_VALUE, 0, UTF8_EXT_VALUE.length())) {
            // Decoded, it could hold what a header cannot (a line break, a terminal escape, a bidi
            // override): refused by checkedMessage, as in a message sent in JSON.
            message = percentDecoded(raw.substring(UTF8_EXT_VALUE.length()));
        } else if (raw.chars().allMatch(c -> c < 0x80)) {
            message = raw;
        } else {
            throw new ApiException(Problem.badRequest("X-Change-Message holds characters other than ASCII, which a header"
                    + " does not carry as text; send them as UTF-8, percent-encoded after UTF-8'' (RFC 8187):"
                    + " X-Change-Message: UTF-8''caf%C3%A9"));
        }
        return checkedMessage(message, "X-Change-Message");
    }

    private static String percentDecoded(String encoded) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length() && HexFormat.isHexDigit(encoded.charAt(i + 1))
                    && HexFormat.isHexDigit(encoded.charAt(i + 2))) {
                bytes.write(HexFormat.fromHexDigits(encoded, i + 1, i + 3));
                i += 2;
            } else if (c < 0x80 && c != '%') {
                bytes.write(c);
            } else {
                throw new ApiException(Problem.badRequest("X-Change-Message after UTF-8'' is percent-encoded UTF-8"
                        + " (RFC 8187): every % is followed by two hexadecimal digits, and other characters are ASCII"));
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ApiException(Problem.badRequest("X-Change-Message after UTF-8'' does not decode as UTF-8"));
        }
    }

    /**
     * The one rule for a change message, wherever it comes from ({@code X-Change-Message}, the
     * {@code message} of a rollback or a rollout): one line of text people read in the history, the
     * audit and on terminals, kept for good. Refused: NUL, a line feed, and every character that a
     * terminal or editor would act on rather than show ({@link ShownText#actedOn}: escapes, carriage
     * returns, bidi overrides, line separators); and more than {@link PublishRequest#MAX_MESSAGE_LENGTH}
     * characters.
     *
     * @param message the message
     * @param source  how the problem names it: {@code X-Change-Message}, {@code 'message'}
     * @return the message
     * @throws ApiException 400 naming the source and the first refused character
     */
    static String checkedMessage(String message, String source) {
        if (message.indexOf('\u0000') >= 0) {
            throw new ApiException(Problem.badRequest(source + " contains a NUL character, which is not accepted"));
        }
        int lineFeed = message.indexOf('\n');
        (lineFeed >= 0 ? Optional.of(ShownText.named('\n') + " at character " + (lineFeed + 1))
                : ShownText.firstActedOn(message)).ifPresent(c -> {
            throw new ApiException(Problem.badRequest(source + " holds " + c + ", which is not accepted:"
                    + " a change message is one line of text"));
        });
        if (io.pgfleet.domain.common.ShownText.characters(message) > PublishRequest.MAX_MESSAGE_LENGTH) {
            throw new ApiException(Problem.badRequest(source + " is limited to "
                    + PublishRequest.MAX_MESSAGE_LENGTH + " characters"));
        }
        return message;
    }

    private void put(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        Precondition precondition = precondition(req);
        String message = changeMessage(req);
        ConfigDocument document = readDocument(req);
        sendPublishResult(req, res, id, publish.publish(new PublishConfigCommand(id, document, precondition,
                Callers.actor(req), message, CapabilitiesJson.mode(req))));
    }

    private void rollback(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        Precondition precondition = precondition(req);
        VersionedDocuments.RollbackBody body = VersionedDocuments.RollbackBody.read(req);
        PublishResult result = rollback.rollback(new RollbackConfigCommand(id, body.toVersion(),
                precondition, Callers.actor(req), body.message(), CapabilitiesJson.mode(req)));
        if (result instanceof PublishResult.Published) {
            metrics.rolledBack();
        }
        sendPublishResult(req, res, id, result);
    }

    private void validate(ServerRequest req, ServerResponse res) {
        ConfigDocument document = readDocument(req);
        switch (metrics.timeValidation(() -> validate.validate(document))) {
            case Validation.Valid v -> Jsons.send(res, Json.createObjectBuilder()
                    .add("valid", true)
                    .add("effective_sha256", v.effective().sha256())
                    .add("effective", v.effective().canonical())
                    .build());
            case Validation.Invalid inv -> invalid(null, inv.errors(), inv.total()).send(res);
        }
    }

    /**
     * The {@code 422 invalid-configuration} problem.
     *
     * @param layer  the layer version the errors are in ({@code group/prod@4}), null for a collector's document
     * @param errors the errors listed: the validation keeps the first {@link Validation#MAX_REPORTED_ERRORS}
     * @param total  how many were found in all
     */
    static Problem invalid(String layer, List<ValidationError> errors, int total) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        for (ValidationError e : errors) {
            JsonObjectBuilder error = Json.createObjectBuilder();
            if (layer != null) {
                error.add("layer", layer);
            }
            list.add(error
                    .add("line", e.line())
                    .add("column", e.column())
                    .add("key", ShownText.escaped(e.key()))
                    .add("message", ShownText.escaped(e.message())));
        }
        return new Problem(Status.create(422, "Unprocessable Content"), ProblemType.INVALID_CONFIGURATION,
                "The configuration is invalid",
                total + (total == 1 ? " error" : " errors")
                        + (total > errors.size() ? " (the first " + errors.size() + " listed)" : "")
                        + (layer == null ? "" : " in " + layer) + "; nothing was stored: " + errors.get(0),
                Map.of("errors", list.build(), "total", total));
    }

    private void history(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        if (UnknownCollectors.purged(res, decommissioned, id)) {
            return;
        }
        int limit = QueryParams.integer(req, "limit", 50, 1, ConfigHistoryQuery.MAX_PAGE);
        int before = QueryParams.integer(req, "before", Integer.MAX_VALUE, 1, Integer.MAX_VALUE);
        switch (history.history(id, new ConfigVersion(before), limit)) {
            case HistoryLookup.CollectorNotFound nf -> UnknownCollectors.notFound(res, nf.collectorId());
            case HistoryLookup.Page page -> {
                JsonArrayBuilder versions = Json.createArrayBuilder();
                page.revisions().forEach(r -> versions.add(VersionedDocuments.historyEntry(r.version(), r.entityTag(),
                        r.createdAt(), r.createdBy(), r.message(), r.source())));
                Optional<String> next = page.more()
                        ? Optional.of("/api/v1/config/" + id + "/versions?limit=" + limit + "&before="
                                + page.revisions().get(page.revisions().size() - 1).version().value())
                        : Optional.empty();
                VersionedDocuments.sendPage(req, res, Json.createObjectBuilder()
                        .add("collector_id", id.value()).add("versions", versions), next);
            }
        }
    }

    private void diff(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        if (UnknownCollectors.purged(res, decommissioned, id)) {
            return;
        }
        ConfigVersion from = new ConfigVersion(QueryParams.integer(req, "from", 0, 1, Integer.MAX_VALUE));
        ConfigVersion to = new ConfigVersion(QueryParams.integer(req, "to", 0, 1, Integer.MAX_VALUE));
        ConfigLookup a = query.version(id, from);
        ConfigLookup b = query.version(id, to);
        if (!(a instanceof ConfigLookup.Found fa)) {
            sendLookup(req, res, a);
            return;
        }
        if (!(b instanceof ConfigLookup.Found fb)) {
            sendLookup(req, res, b);
            return;
        }
        VersionedDocuments.sendDiff(req, res, UnifiedDiff.between(fa.revision(), fb.revision()));
    }

    private void sendPublishResult(ServerRequest req, ServerResponse res, CollectorId id, PublishResult result) {
        switch (result) {
            case PublishResult.Published p -> {
                metrics.published();
                res.status(Status.CREATED_201);
                Locations.created(req, res, "/api/v1/config/" + id + "/versions/" + p.revision().version());
                sendPublished(res, p.revision());
            }
            case PublishResult.Unchanged u -> {
                res.status(Status.OK_200);
                sendPublished(res, u.latest());
            }
            case PublishResult.VersionConflict c -> new Problem(Status.PRECONDITION_FAILED_412, ProblemType.VERSION_CONFLICT,
                    "The configuration changed since you read it",
                    c.current().map(r -> "the latest version is now " + r.version() + " (ETag " + r.entityTag().quoted()
                            + "); fetch it, merge your change and publish again with its ETag")
                            .orElse("collector '" + id + "' has no configuration yet, so If-Match cannot match"),
                    c.current().<Map<String, Object>>map(r -> Map.of(
                            "current_version", r.version().value(), "current_etag", r.entityTag().quoted()))
                            .orElse(Map.of()))
                    .send(res);
            case PublishResult.CollectorNotFound nf -> UnknownCollectors.notFound(res, nf.collectorId(),
                    "create it with POST /api/v1/collectors first");
            case PublishResult.Decommissioned d -> UnknownCollectors.gone(res, d.collectorId(), d.at());
            case PublishResult.Invalid inv -> invalid(null, inv.errors(), inv.total()).send(res);
            case PublishResult.LacksCapabilities l -> CapabilitiesJson.refusal(l.refusal()).send(res);
            case PublishResult.UnknownVersion uv -> Problem.notFound(ProblemType.VERSION_NOT_FOUND,
                    "collector '" + uv.collectorId() + "' has no version " + uv.version() + " to roll back to").send(res);
        }
    }

    private static void sendPublished(ServerResponse res, ConfigRevision r) {
        res.header(HeaderNames.ETAG, r.entityTag().quoted());
        res.header(CONFIG_VERSION, r.version().toString());
        Jsons.send(res, VersionedDocuments.historyEntry(r.version(), r.entityTag(), r.createdAt(), r.createdBy(),
                r.message(), r.source()).add("collector_id", r.collectorId().value()).build());
    }
}
