package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.CollectorUseCases;
import io.pgfleet.application.port.in.IdempotencyKey;
import io.pgfleet.application.port.in.IssueEnrolmentTokenUseCase;
import io.pgfleet.application.port.in.ProvisionCollectorCommand;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase.ProvisionResult;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.RegistrationCredential;
import io.pgfleet.application.port.in.RevokeCollectorUseCase;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.collector.Collector;
import io.pgfleet.domain.collector.CollectorId;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /api/v1/collectors}: the fleet's collectors.
 */
final class CollectorsHttpService implements ApiService {

    private static final Set<String> FIELDS = Set.of("id", "name", "hostname", "labels");

    static final HeaderName REGISTRATION_SECRET = HeaderNames.create("X-Registration-Secret");
    static final HeaderName ENROLMENT_TOKEN = HeaderNames.create("X-Enrolment-Token");
    static final HeaderName COLLECTOR_ID = HeaderNames.create("X-Collector-Id");
    static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");
    /** Set on the answer to a registration retried with its idempotency key (nothing was created). */
    static final HeaderName IDEMPOTENT_REPLAYED = HeaderNames.create("Idempotent-Replayed");
    private static final Set<String> REGISTRATION_FIELDS = Set.of("name", "hostname", "labels");

    private final ProvisionCollectorUseCase provision;
    private final RegisterCollectorUseCase register;
    private final IssueEnrolmentTokenUseCase enrolment;
    private final RevokeCollectorUseCase revoke;
    private final DecommissionedFirst gone;

    CollectorsHttpService(CollectorUseCases collectors) {
        this.gone = new DecommissionedFirst(collectors.decommissioned());
        this.revoke = collectors.revoke();
        this.provision = collectors.provision();
        this.register = collectors.register();
        this.enrolment = collectors.enrolment();
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.post("/", RouteAccess.allowed(Operation.PROVISION_COLLECTOR), this::create)
                .post("/register", RouteAccess.open("agents register with a registration secret or enrolment token"),
                        this::register)
                .post("/{id}/enrolment-token", RouteAccess.allowed(Operation.PROVISION_COLLECTOR),
                        DecommissionedFirst.of(this::enrolmentToken))
                .post("/{id}/revoke", RouteAccess.allowed(Operation.PROVISION_COLLECTOR), DecommissionedFirst.of(this::revoke));
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        switch (revoke.revokeCollector(id, Callers.actor(req))) {
            case RevokeCollectorUseCase.RevokeResult.Revoked r -> res.status(Status.NO_CONTENT_204).send();
            case RevokeCollectorUseCase.RevokeResult.CollectorNotFound nf -> UnknownCollectors.notFound(res, nf.collectorId());
            case RevokeCollectorUseCase.RevokeResult.Decommissioned d -> UnknownCollectors.gone(res, d.collectorId(), d.at());
        }
    }

    private void register(ServerRequest req, ServerResponse res) {
        Optional<String> secret = req.headers().first(REGISTRATION_SECRET);
        Optional<String> token = req.headers().first(ENROLMENT_TOKEN);
        if (secret.isPresent() == token.isPresent()) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Registration-Secret");
            new Problem(Status.UNAUTHORIZED_401, ProblemType.UNAUTHORIZED, "Registration refused",
                    "send exactly one of X-Registration-Secret or X-Enrolment-Token").send(res);
            return;
        }
        Optional<IdempotencyKey> idempotencyKey = idempotencyKey(req);
        JsonObject body = Jsons.readObject(req);
        for (String key : body.keySet()) {
            if (!REGISTRATION_FIELDS.contains(key)) {
                throw new ApiException(Problem.badRequest("unknown field '" + key + "'; expected name, hostname, labels"));
            }
        }
        // An agent that already is a collector names it, so that a token issued for another one is
        // refused and stays unused instead of re-binding that other collector to this host.
        Optional<CollectorId> forCollector;
        try {
            forCollector = req.headers().first(COLLECTOR_ID).map(CollectorId::of);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("X-Collector-Id: " + e.getMessage()));
        }
        RegistrationCredential credential = secret.<RegistrationCredential>map(RegistrationCredential.Secret::new)
                .orElseGet(() -> new RegistrationCredential.EnrolmentToken(token.orElseThrow(), forCollector));
        RegisterCollectorUseCase.RegistrationResult result;
        try {
            result = register.register(credential, optionalString(body, "name"), optionalString(body, "hostname"),
                    labels(body), idempotencyKey, Callers.anonymous(req));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        switch (result) {
            case RegisterCollectorUseCase.RegistrationResult.Registered r -> registered(req, res, r.collector(), r.tokens());
            case RegisterCollectorUseCase.RegistrationResult.Replayed r -> {
                // The same answer as the first time (but for the tokens), so a client need not tell them apart.
                res.header(IDEMPOTENT_REPLAYED, "true");
                registered(req, res, r.collector(), r.tokens());
            }
            case RegisterCollectorUseCase.RegistrationResult.KeyReused k -> new Problem(
                    Status.create(422, "Unprocessable Content"), ProblemType.IDEMPOTENCY_KEY_REUSED,
                    "Idempotency key used for another request", k.reason()).send(res);
            case RegisterCollectorUseCase.RegistrationResult.Refused refused -> {
                res.header(HeaderNames.WWW_AUTHENTICATE, "Registration-Secret");
                new Problem(Status.UNAUTHORIZED_401, ProblemType.UNAUTHORIZED, "Registration refused",
                        "the registration secret or enrolment token is not accepted").send(res);
            }
            // Its own type, so an agent that kept the key stops retrying with it (the credential
            // itself may be fine): the key will never succeed again.
            case RegisterCollectorUseCase.RegistrationResult.KeyOutlived k -> {
                res.header(HeaderNames.WWW_AUTHENTICATE, "Registration-Secret");
                new Problem(Status.UNAUTHORIZED_401, ProblemType.REGISTRATION_KEY_OUTLIVED, "Registration retry refused",
                        k.reason() + "; nothing changed, and a retry with this Idempotency-Key will not succeed:"
                                + " register without it (a new key) to register anew").send(res);
            }
        }
    }

    private static void registered(ServerRequest req, ServerResponse res, Collector collector, io.pgfleet.application.port.in.TokenPair tokens) {
        res.status(Status.CREATED_201);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        Locations.created(req, res, "/api/v1/collectors/" + collector.id());
        Jsons.send(res, AuthHttpService.tokens(tokens).add("collector_id", collector.id().value()).build());
    }

    private static Optional<IdempotencyKey> idempotencyKey(ServerRequest req) {
        // Sent on several lines it never gets here: SingleValuedHeaders refuses that request.
        Optional<String> value = req.headers().first(IDEMPOTENCY_KEY);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new IdempotencyKey(value.get()));
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest("Idempotency-Key: " + e.getMessage()));
        }
    }

    private void enrolmentToken(ServerRequest req, ServerResponse res) {
        CollectorId id = PathParams.collectorId(req);
        switch (enrolment.issueEnrolmentToken(id, Callers.actor(req))) {
            case IssueEnrolmentTokenUseCase.EnrolmentResult.Issued i -> {
                res.status(Status.CREATED_201);
                res.header(HeaderNames.CACHE_CONTROL, "no-store");
                Jsons.send(res, Json.createObjectBuilder()
                        .add("collector_id", id.value())
                        .add("enrolment_token", i.token())
                        .add("expires_at", HttpDates.json(i.expiresAt()))
                        .build());
            }
            case IssueEnrolmentTokenUseCase.EnrolmentResult.CollectorNotFound nf ->
                    UnknownCollectors.notFound(res, nf.collectorId());
            case IssueEnrolmentTokenUseCase.EnrolmentResult.Decommissioned d ->
                    UnknownCollectors.gone(res, d.collectorId(), d.at());
        }
    }

    private void create(ServerRequest req, ServerResponse res) throws Exception {
        JsonObject body = Jsons.readObject(req);
        // The id first: the id of a decommissioned collector is never provisioned again, and that is
        // its answer whatever else the body holds (unknown fields, labels that would be refused).
        String rawId = optionalString(body, "id");
        if (rawId.isEmpty()) {
            create(req, res, body, CollectorId.random());
        } else if (CollectorId.isValid(rawId)) {
            CollectorId id = CollectorId.of(rawId);
            gone.run(res, id, () -> create(req, res, body, id));
        } else {
            throw new ApiException(Problem.badRequest("'" + rawId + "' is not a collector id: 1-64 letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit"));
        }
    }

    private void create(ServerRequest req, ServerResponse res, JsonObject body, CollectorId id) {
        io.pgfleet.domain.identity.Actor actor = Callers.actor(req);
        for (String key : body.keySet()) {
            if (!FIELDS.contains(key)) {
                throw new ApiException(Problem.badRequest("unknown field '" + key + "'; expected id, name, hostname, labels"));
            }
        }
        ProvisionCollectorCommand command;
        try {
            command = new ProvisionCollectorCommand(id, optionalString(body, "name"), optionalString(body, "hostname"),
                    labels(body), actor);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
        switch (provision.provision(command)) {
            case ProvisionResult.Provisioned p -> {
                res.status(Status.CREATED_201);
                Locations.created(req, res, "/api/v1/collectors/" + p.collector().id());
                Jsons.send(res, json(p.collector()));
            }
            case ProvisionResult.AlreadyExists e -> new Problem(Status.CONFLICT_409, ProblemType.COLLECTOR_EXISTS,
                    "Collector already exists", "a collector with the id '" + e.existing().id() + "' already exists")
                    .send(res);
            case ProvisionResult.Decommissioned d ->
                    AuthHttpService.decommissioned(Status.GONE_410, d.collectorId(), d.at()).send(res);
        }
    }

    static JsonObject json(Collector c) {
        JsonObjectBuilder labels = Json.createObjectBuilder();
        c.labels().forEach(labels::add);
        return Json.createObjectBuilder()
                .add("id", c.id().value())
                .add("name", c.name())
                .add("hostname", c.hostname())
                .add("labels", labels)
                .add("created_at", HttpDates.json(c.createdAt()))
                .build();
    }

    private static String optionalString(JsonObject body, String key) {
        JsonValue v = body.get(key);
        if (v == null || v == JsonValue.NULL) {
            return "";
        }
        if (v instanceof JsonString s) {
            return s.getString();
        }
        throw new ApiException(Problem.badRequest("'" + key + "' must be a string"));
    }

    private static Map<String, String> labels(JsonObject body) {
        JsonValue v = body.get("labels");
        if (v == null || v == JsonValue.NULL) {
            return Map.of();
        }
        if (!(v instanceof JsonObject o)) {
            throw new ApiException(Problem.badRequest("'labels' must be an object of strings"));
        }
        Map<String, String> labels = new LinkedHashMap<>();
        o.forEach((k, x) -> {
            if (!(x instanceof JsonString s)) {
                throw new ApiException(Problem.badRequest("label '" + k + "' must be a string"));
            }
            labels.put(k, s.getString());
        });
        return labels;
    }
}
