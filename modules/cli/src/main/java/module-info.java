/**
 * The pgfleet operator CLI: logs in, reads and publishes configurations, lists the fleet, manages
 * users and reads the audit trail, talking to the server only through its HTTP API.
 */
module io.pgfleet.cli {
    requires info.picocli;
    requires java.net.http;
    requires tools.jackson.core;
    requires tools.jackson.databind;
    requires tools.jackson.dataformat.toml;

    // picocli sets the annotated option fields reflectively.
    opens io.pgfleet.cli to info.picocli;
}
