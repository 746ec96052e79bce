/**
 * The pgfleet application: use cases ({@code port.in}) and what they need from the outside
 * world ({@code port.out}). The services that implement the use cases are visible only to the
 * composition root.
 */
module io.pgfleet.application {
    requires transitive io.pgfleet.domain;

    exports io.pgfleet.application.port.in;
    exports io.pgfleet.application.port.out;
    exports io.pgfleet.application.service to io.pgfleet.server;
}
