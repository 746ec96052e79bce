package io.pgfleet.adapter.in.http;

/**
 * Every problem type (RFC 9457 {@code type}, {@value Problem#TYPE_BASE} followed by the slug) the
 * server answers with. A {@link Problem} is built from one of these and nothing else, so this is
 * the whole list: the API description's {@code x-problem-types} and the table in docs/api.md list
 * the same, and {@code ProblemTypesTest} fails when they disagree or when a type here is no longer
 * sent by any code. A new type is added here, there and in the docs together.
 */
enum ProblemType {

    BAD_REQUEST("bad-request"),
    UNAUTHORIZED("unauthorized"),
    REGISTRATION_KEY_OUTLIVED("registration-key-outlived"),
    FORBIDDEN("forbidden"),
    COLLECTOR_NOT_FOUND("collector-not-found"),
    NO_CONFIGURATION("no-configuration"),
    VERSION_NOT_FOUND("version-not-found"),
    USER_NOT_FOUND("user-not-found"),
    NO_SUCH_ENDPOINT("no-such-endpoint"),
    GROUP_NOT_FOUND("group-not-found"),
    ROLLOUT_NOT_FOUND("rollout-not-found"),
    METHOD_NOT_ALLOWED("method-not-allowed"),
    COLLECTOR_EXISTS("collector-exists"),
    USER_EXISTS("user-exists"),
    GROUP_EXISTS("group-exists"),
    TOO_MANY_GROUPS("too-many-groups"),
    ROLLOUT_IN_PROGRESS("rollout-in-progress"),
    NOTHING_TO_ROLL_OUT("nothing-to-roll-out"),
    ROLLOUT_STATE("rollout-state"),
    SELF_DISABLE("self-disable"),
    LAST_ADMINISTRATOR("last-administrator"),
    UNKNOWN_REVISION("unknown-revision"),
    COLLECTOR_DECOMMISSIONED("collector-decommissioned"),
    COLLECTOR_PURGED("collector-purged"),
    VERSION_CONFLICT("version-conflict"),
    PRECONDITION_FAILED("precondition-failed"),
    PAYLOAD_TOO_LARGE("payload-too-large"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type"),
    UNSUPPORTED_CONTENT_ENCODING("unsupported-content-encoding"),
    RANGE_NOT_SATISFIABLE("range-not-satisfiable"),
    INVALID_CONFIGURATION("invalid-configuration"),
    INVALID_EFFECTIVE_CONFIGURATION("invalid-effective-configuration"),
    MISSING_CAPABILITIES("missing-capabilities"),
    EMPTY_WAVE("empty-wave"),
    IDEMPOTENCY_KEY_REUSED("idempotency-key-reused"),
    SAMPLE_FROM_THE_FUTURE("sample-from-the-future"),
    TOO_MANY_SERIES("too-many-series"),
    INVALID_SAMPLE_LABEL("invalid-sample-label"),
    REPEATED_SAMPLE("repeated-sample"),
    TOO_MANY_ATTEMPTS("too-many-attempts"),
    REFRESH_RATE_EXCEEDED("refresh-rate-exceeded"),
    OVERLOADED("overloaded"),
    TOO_MANY_SIGNING_KEYS("too-many-signing-keys"),
    SAMPLE_RATE_EXCEEDED("sample-rate-exceeded"),
    INTERNAL_ERROR("internal-error"),
    UNSUPPORTED_TRANSFER_ENCODING("unsupported-transfer-encoding"),
    STORAGE_UNAVAILABLE("storage-unavailable"),
    SHUTTING_DOWN("shutting-down"),
    HTTP_VERSION_NOT_SUPPORTED("http-version-not-supported");

    private final String slug;

    ProblemType(String slug) {
        this.slug = slug;
    }

    /** The short name: the last segment of the type URI, and the {@code type} tag of {@code pgfleet_http_problems}. */
    String slug() {
        return slug;
    }

    /** The RFC 9457 {@code type} member. */
    String uri() {
        return Problem.TYPE_BASE + slug;
    }
}
