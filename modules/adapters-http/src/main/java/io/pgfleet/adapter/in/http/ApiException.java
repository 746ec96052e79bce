package io.pgfleet.adapter.in.http;

/** Ends a request with a problem detail; thrown from request parsing deep inside a handler. */
final class ApiException extends RuntimeException {

    private final transient Problem problem;

    ApiException(Problem problem) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
    }

    Problem problem() {
        return problem;
    }
}
