/**
 * Reads TOML configuration documents into the domain's typed tree, with tomlj.
 */
module io.pgfleet.adapter.out.toml {
    requires io.pgfleet.application;
    requires org.tomlj;

    exports io.pgfleet.adapter.out.toml;
}
