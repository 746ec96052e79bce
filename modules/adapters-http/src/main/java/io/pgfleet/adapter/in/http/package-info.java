/**
 * Driving adapter for HTTP. {@link io.pgfleet.adapter.in.http.HttpApi} registers the API's
 * {@code …HttpService}s on a Helidon routing; handlers translate HTTP to use-case commands and
 * use-case outcomes to status codes, headers and RFC 9457 problem details.
 */
package io.pgfleet.adapter.in.http;
