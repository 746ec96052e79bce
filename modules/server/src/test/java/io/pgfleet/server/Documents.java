package io.pgfleet.server;

/** Test data builder for configuration documents. */
final class Documents {

    private int pushInterval = 60;
    private int pgStatsInterval = 60;

    static Documents aDocument() {
        return new Documents();
    }

    Documents pushInterval(int seconds) {
        pushInterval = seconds;
        return this;
    }

    Documents pgStatsInterval(int seconds) {
        pgStatsInterval = seconds;
        return this;
    }

    String toml() {
        return """
                [collector]
                push_interval = %d

                [collectors.pg_stats]
                enabled = true
                interval = %d
                """.formatted(pushInterval, pgStatsInterval);
    }
}
