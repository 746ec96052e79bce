package io.pgfleet.adapter.in.http;

/**
 * A group of API routes under one prefix. Unlike a plain Helidon {@code HttpService}, every route
 * is registered with the access it requires, so there is no way to add one without deciding who
 * may call it.
 */
@FunctionalInterface
interface ApiService {

    /**
     * Declares the routes.
     *
     * @param rules where to declare them
     */
    void routes(ApiRoutes.Rules rules);
}
