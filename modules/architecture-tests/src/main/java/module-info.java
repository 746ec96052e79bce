/**
 * The architecture rules of pgfleet's hexagon, as ArchUnit rules and module-descriptor checks.
 */
module io.pgfleet.architecture {
    requires com.tngtech.archunit;

    exports io.pgfleet.architecture;
}
