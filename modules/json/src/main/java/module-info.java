/**
 * The JSON forms of domain values that cross a process boundary: what the agent sends, the server
 * reads and stores. One mapping each, so the agent, the API and the store cannot drift apart. A shared
 * library (like {@code io.pgfleet.toml}), not an adapter.
 */
module io.pgfleet.json {
    requires transitive io.pgfleet.domain;
    requires transitive jakarta.json;
    exports io.pgfleet.json;
}
