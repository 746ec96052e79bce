package io.pgfleet.adapter.in.http;

/** Ends a request with a problem detail; thrown from request parsing deep inside a handler. */
final class ApiException extends RuntimeException {

    private final transient Problem problem;
    private final boolean closesConnection;

    ApiException(Problem problem) {
        this(problem, false);
    }

    /**
     * A problem after which the connection cannot be read on (the request body's end is unknown):
     * the answer says {@code Connection: close} and the server closes it.
     */
    static ApiException closingConnection(Problem problem) {
        return new ApiException(problem, true);
    }

    private ApiException(Problem problem, boolean closesConnection) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
        this.closesConnection = closesConnection;
    }

    Problem problem() {
        return problem;
    }

    boolean closesConnection() {
        return closesConnection;
    }
}
