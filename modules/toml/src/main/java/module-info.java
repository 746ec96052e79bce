/**
 * Reads TOML configuration documents into the domain's typed tree, with tomlj. A library shared by
 * the server (where it implements the parse port) and the agent; deliberately not under
 * {@code io.pgfleet.adapter}, so the agent depends on no server adapter.
 */
module io.pgfleet.toml {
    requires io.pgfleet.application;
    requires org.tomlj;

    exports io.pgfleet.toml;
}
