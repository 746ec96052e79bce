package io.pgfleet.adapter.in.http;

import io.pgfleet.domain.access.Operation;

import java.util.Objects;

/**
 * What a route requires of its caller, declared with the route when it is registered
 * ({@link ApiRoutes.Rules}) and enforced in one place ({@link ApiRoutes}) before the handler runs.
 * A handler never asks for authorisation itself, so it cannot forget to.
 */
sealed interface RouteAccess {

    /**
     * Anyone, without a token.
     *
     * @param reason why the route is public (logging in, health checks …)
     */
    record Open(String reason) implements RouteAccess {
        /** Requires a reason: opening a route is a decision. */
        public Open {
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("an open route says why it is open");
            }
        }
    }

    /**
     * An authenticated caller the domain's access policy allows the operation.
     *
     * @param operation what the route does
     */
    record Allowed(Operation operation) implements RouteAccess {
        /** Requires the operation. */
        public Allowed {
            Objects.requireNonNull(operation, "operation");
        }
    }

    /**
     * An authenticated caller allowed the operation on the collector named by the route's
     * {@code {id}} path parameter.
     *
     * @param operation what the route does to that collector
     */
    record OnCollectorInPath(Operation operation) implements RouteAccess {
        /** Requires the operation. */
        public OnCollectorInPath {
            Objects.requireNonNull(operation, "operation");
        }
    }

    /**
     * A collector acting on itself (pushing its own samples).
     *
     * @param operation what the route does
     */
    record OnOwnCollector(Operation operation) implements RouteAccess {
        /** Requires the operation. */
        public OnOwnCollector {
            Objects.requireNonNull(operation, "operation");
        }
    }

    static RouteAccess open(String reason) {
        return new Open(reason);
    }

    static RouteAccess allowed(Operation operation) {
        return new Allowed(operation);
    }

    static RouteAccess onCollectorInPath(Operation operation) {
        return new OnCollectorInPath(operation);
    }

    static RouteAccess onOwnCollector(Operation operation) {
        return new OnOwnCollector(operation);
    }
}
