package io.pgfleet.server;

import io.pgfleet.testing.TestDatabase;

import java.net.URI;

/** Test data builder for the configuration documents the E2E tests publish to a real agent. */
final class AgentDocument {

    private final TestDatabase db;
    private boolean watch = true;
    private int pullInterval = 300;
    private int pushInterval = 1;
    private int pgStats = 60;
    private boolean pgStatsOn = true;
    private String pgLocks = "";
    private int sysstat = 1;
    private String passwordFile = "";

    private AgentDocument(TestDatabase db) {
        this.db = db;
    }

    /** A document that monitors the test database itself. */
    static AgentDocument monitoring(TestDatabase db) {
        return new AgentDocument(db);
    }

    AgentDocument watch(boolean on) {
        watch = on;
        return this;
    }

    AgentDocument pgStats(boolean on, int interval) {
        pgStatsOn = on;
        pgStats = interval;
        return this;
    }

    AgentDocument pgLocksEvery(int interval) {
        pgLocks = "[collectors.pg_locks]\nenabled = true\ninterval = " + interval + "\n";
        return this;
    }

    AgentDocument sysstatEvery(int interval) {
        sysstat = interval;
        return this;
    }

    AgentDocument passwordFile(String path) {
        passwordFile = path;
        return this;
    }

    String toml() {
        URI u = URI.create(db.url().substring("jdbc:".length()));
        String database = u.getPath().substring(1);
        return """
                [collector]
                watch = %s
                config_pull_interval = %d
                push_interval = %d

                [postgres]
                host = "%s"
                port = %d
                user = "%s"
                databases = ["%s"]
                sslmode = "disable"
                password_file = "%s"

                [collectors.pg_stats]
                enabled = %s
                interval = %d

                [collectors.pg_connections]
                enabled = false

                [collectors.sysstat]
                interval = %d

                [collectors.disk_usage]
                enabled = false
                %s""".formatted(watch, pullInterval, pushInterval, u.getHost(), u.getPort(), db.user(), database,
                passwordFile, pgStatsOn, pgStats, sysstat, pgLocks);
    }
}
