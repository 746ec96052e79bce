package io.pgfleet.adapter.in.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.pgfleet.application.port.in.ManageUsersUseCase;
import io.pgfleet.domain.access.Operation;
import io.pgfleet.domain.access.Role;
import io.pgfleet.domain.access.User;
import io.pgfleet.domain.access.Username;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import java.util.Optional;

/**
 * {@code /api/v1/users}: administrators manage users. Password hashes never leave the server.
 */
final class UsersHttpService implements ApiService {

    private final ManageUsersUseCase users;

    UsersHttpService(ManageUsersUseCase users) {
        this.users = users;
    }

    @Override
    public void routes(ApiRoutes.Rules rules) {
        rules.post("/", RouteAccess.allowed(Operation.MANAGE_USERS), this::create)
                .get("/", RouteAccess.allowed(Operation.MANAGE_USERS), this::list)
                .patch("/{username}", RouteAccess.allowed(Operation.MANAGE_USERS), this::update);
    }

    private void create(ServerRequest req, ServerResponse res) {
        JsonObject body = Jsons.readObject(req);
        Jsons.onlyFields(body, "username", "password", "role");
        Username name = username(required(body, "username"));
        Role role = role(required(body, "role"));
        send(req, res, users.createUser(name, required(body, "password"), role, Callers.actor(req)), Status.CREATED_201);
    }

    private void list(ServerRequest req, ServerResponse res) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        users.listUsers().forEach(u -> list.add(json(u)));
        Jsons.send(req, res, Json.createObjectBuilder().add("users", list).build());
    }

    private void update(ServerRequest req, ServerResponse res) {
        Username name = username(req.path().pathParameters().get("username"));
        JsonObject body = Jsons.readObject(req);
        Jsons.onlyFields(body, "password", "role", "enabled");
        Optional<Role> role = optional(body, "role").map(UsersHttpService::role);
        Optional<String> password = optional(body, "password");
        Optional<Boolean> enabled = Optional.empty();
        if (body.containsKey("enabled")) {
            JsonValue v = body.get("enabled");
            if (v != JsonValue.TRUE && v != JsonValue.FALSE) {
                throw new ApiException(Problem.badRequest("'enabled' must be true or false"));
            }
            enabled = Optional.of(v == JsonValue.TRUE);
        }
        if (name.value().equals(Callers.principal(req).subject()) && enabled.equals(Optional.of(false))) {
            throw new ApiException(new Problem(Status.CONFLICT_409, ProblemType.SELF_DISABLE, "Cannot disable yourself",
                    "administrators cannot disable themselves; another administrator can"));
        }
        send(req, res, users.updateUser(name, role, password, enabled, Callers.actor(req)), Status.OK_200);
    }

    private static void send(ServerRequest req, ServerResponse res, ManageUsersUseCase.UserResult result, Status success) {
        switch (result) {
            case ManageUsersUseCase.UserResult.Saved s -> {
                res.status(success);
                if (success == Status.CREATED_201) {
                    Locations.created(req, res, "/api/v1/users/" + s.user().username());
                }
                Jsons.send(res, json(s.user()));
            }
            case ManageUsersUseCase.UserResult.AlreadyExists e -> new Problem(Status.CONFLICT_409, ProblemType.USER_EXISTS,
                    "User already exists", "a user named '" + e.username() + "' already exists").send(res);
            case ManageUsersUseCase.UserResult.NotFound nf -> Problem.notFound(ProblemType.USER_NOT_FOUND,
                    "no user named '" + nf.username() + "'").send(res);
            case ManageUsersUseCase.UserResult.LastAdministrator last -> new Problem(Status.CONFLICT_409,
                    ProblemType.LAST_ADMINISTRATOR, "Last administrator", "'" + last.username() + "' is the last enabled"
                    + " administrator; make another user an administrator first").send(res);
        }
    }

    private static JsonObject json(User u) {
        return Json.createObjectBuilder()
                .add("username", u.username().value())
                .add("role", u.role().label())
                .add("enabled", u.enabled())
                .add("created_at", HttpDates.json(u.createdAt()))
                .build();
    }

    private static String required(JsonObject body, String key) {
        return optional(body, key).orElseThrow(() -> new ApiException(Problem.badRequest("'" + key + "' is required")));
    }

    private static Optional<String> optional(JsonObject body, String key) {
        if (!body.containsKey(key)) {
            return Optional.empty();
        }
        if (!(body.get(key) instanceof JsonString s)) {
            throw new ApiException(Problem.badRequest("'" + key + "' must be a string"));
        }
        return Optional.of(s.getString());
    }

    private static Username username(String raw) {
        try {
            return new Username(raw);
        } catch (IllegalArgumentException e) {
            throw new ApiException(Problem.badRequest(e.getMessage()));
        }
    }

    private static Role role(String raw) {
        // Only the roles a user can hold are named: "collector" is a role, but not a user's.
        return java.util.Arrays.stream(Role.values()).filter(Role::isHuman).filter(r -> r.label().equals(raw))
                .findFirst().orElseThrow(() -> new ApiException(Problem.badRequest("unknown role '" + raw
                        + "'; users hold admin, operator or viewer")));
    }
}
