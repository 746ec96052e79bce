package io.pgfleet.testing;

import java.util.List;

/**
 * Configuration documents for tests: SPEC §2's example and valid variations, and a corpus of
 * invalid documents, each with the line(s) and key its errors must name.
 */
public final class ConfigCorpus {

    private ConfigCorpus() {
    }

    /**
     * An invalid document and what its errors must say.
     *
     * @param name          what is wrong, for the test name
     * @param toml          the document
     * @param expectedLines the line of every expected error, in order
     * @param expectedKey   the key the first error names ("" for syntax errors)
     */
    public record Invalid(String name, String toml, List<Integer> expectedLines, String expectedKey) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The example document of SPEC §2. */
    public static final String SPEC_EXAMPLE = """
            [collector]
            config_pull_interval = 300    # s, 10..86400
            push_interval = 60            # s, 1..3600
            watch = true

            [postgres]
            host = "localhost"
            port = 5432
            user = "postgres"
            password_file = ""
            databases = ["postgres"]
            sslmode = "prefer"

            [collectors.pg_stats]
            enabled = true
            interval = 60
            [collectors.pg_connections]
            enabled = true
            interval = 30
            [collectors.pg_locks]
            enabled = false
            interval = 60
            [collectors.sysstat]
            enabled = true
            interval = 30
            [collectors.disk_usage]
            enabled = true
            interval = 300
            paths = ["/"]
            """;

    /** Valid variations: each must be accepted. */
    public static final List<String> VALID = List.of(
            SPEC_EXAMPLE,
            "# only comments: every key takes its default\n",
            "[collector]\n",
            "[collectors.pg_stats]\ninterval = 2\n",
            "[collectors]\npg_locks = { enabled = true, interval = 5 }\n",
            "collectors.sysstat.enabled = false\n",
            "[postgres]\nhost = \"db.internal\"\nport = 6432\ndatabases = [\"app\", \"reporting\"]\nsslmode = \"verify-full\"\npassword_env = \"PGPASSWORD\"\n",
            "[postgres]\npassword_file = \"/etc/pgfleet/pgpass\"\n",
            "[collector]\nwatch = false\nconfig_pull_interval = 10\npush_interval = 3600\n",
            "[collectors.disk_usage]\npaths = [\"/\", \"/var/lib/postgresql\"]\ninterval = 86400\n",
            "[postgres]\nhost = \"/var/run/postgresql\"\n");

    /** Invalid documents: each must be refused with errors at these lines. */
    public static final List<Invalid> INVALID = List.of(
            new Invalid("unterminated string", "[postgres]\nhost = \"localhost\n", List.of(2), ""),
            new Invalid("missing value", "[collector]\npush_interval =\n", List.of(2), ""),
            new Invalid("unclosed table header", "[collector\npush_interval = 5\n", List.of(1), ""),
            new Invalid("duplicate key", "[collector]\npush_interval = 5\npush_interval = 6\n", List.of(3), ""),
            new Invalid("duplicate table", "[collector]\nwatch = true\n\n[collector]\nwatch = false\n", List.of(4, 5), ""),
            new Invalid("bare word value", "[postgres]\nhost = localhost\n", List.of(2), ""),
            new Invalid("unclosed array", "[postgres]\ndatabases = [\"a\", \"b\"\n", List.of(3), ""),
            new Invalid("unknown section", "[colector]\npush_interval = 5\n", List.of(1), "colector"),
            new Invalid("unknown top-level key", "push_interval = 5\n", List.of(1), "push_interval"),
            new Invalid("unknown key", "[collector]\npush_intervall = 5\n", List.of(2), "collector.push_intervall"),
            new Invalid("unknown collector", "[collectors.pg_statements]\nenabled = true\n", List.of(1), "collectors.pg_statements"),
            new Invalid("unknown key in collector", "[collectors.pg_stats]\nenabled = true\nperiod = 5\n", List.of(3),
                    "collectors.pg_stats.period"),
            new Invalid("interval as string", "[collectors.pg_stats]\ninterval = \"60\"\n", List.of(2),
                    "collectors.pg_stats.interval"),
            new Invalid("empty interval", "[collectors.sysstat]\ninterval = \"\"\n", List.of(2), "collectors.sysstat.interval"),
            new Invalid("interval as float", "[collectors.pg_stats]\ninterval = 1.5\n", List.of(2), "collectors.pg_stats.interval"),
            new Invalid("interval zero", "[collectors.pg_stats]\ninterval = 0\n", List.of(2), "collectors.pg_stats.interval"),
            new Invalid("interval above a day", "[collectors.pg_locks]\ninterval = 86401\n", List.of(2),
                    "collectors.pg_locks.interval"),
            new Invalid("negative push interval", "[collector]\npush_interval = -1\n", List.of(2), "collector.push_interval"),
            new Invalid("pull interval below 10", "[collector]\nconfig_pull_interval = 9\n", List.of(2),
                    "collector.config_pull_interval"),
            new Invalid("watch as string", "[collector]\nwatch = \"yes\"\n", List.of(2), "collector.watch"),
            new Invalid("enabled as integer", "[collectors.disk_usage]\nenabled = 1\n", List.of(2), "collectors.disk_usage.enabled"),
            new Invalid("port out of range", "[postgres]\nport = 70000\n", List.of(2), "postgres.port"),
            new Invalid("port as string", "[postgres]\nport = \"5432\"\n", List.of(2), "postgres.port"),
            new Invalid("empty host", "[postgres]\nhost = \"\"\n", List.of(2), "postgres.host"),
            new Invalid("empty user", "[postgres]\nuser = \"\"\n", List.of(2), "postgres.user"),
            new Invalid("unknown sslmode", "[postgres]\nsslmode = \"always\"\n", List.of(2), "postgres.sslmode"),
            new Invalid("databases not an array", "[postgres]\ndatabases = \"postgres\"\n", List.of(2), "postgres.databases"),
            new Invalid("empty databases", "[postgres]\ndatabases = []\n", List.of(2), "postgres.databases"),
            new Invalid("database listed twice", "[postgres]\ndatabases = [\"a\", \"a\"]\n", List.of(2), "postgres.databases"),
            new Invalid("relative password file", "[postgres]\npassword_file = \"secrets/pg\"\n", List.of(2),
                    "postgres.password_file"),
            new Invalid("bad password env name", "[postgres]\npassword_env = \"PG PASSWORD\"\n", List.of(2),
                    "postgres.password_env"),
            new Invalid("both password sources", "[postgres]\npassword_file = \"/etc/pg\"\npassword_env = \"PGPASSWORD\"\n",
                    List.of(3), "postgres.password_env"),
            new Invalid("literal password", "[postgres]\nuser = \"monitor\"\npassword = \"hunter2\"\n", List.of(3),
                    "postgres.password"),
            new Invalid("collector id", "[collector]\nid = \"db-01\"\n", List.of(2), "collector.id"),
            new Invalid("backend url", "[backend]\nurl = \"https://pgfleet.example\"\n", List.of(1), "backend"),
            new Invalid("server url", "server_url = \"http://x\"\n[collector]\nwatch = true\n", List.of(1), "server_url"),
            new Invalid("tls section", "[tls]\nca_file = \"/etc/ca.pem\"\n", List.of(1), "tls"),
            new Invalid("tls key in postgres", "[postgres]\ncert_file = \"/etc/client.pem\"\n", List.of(2), "postgres.cert_file"),
            new Invalid("relative disk path", "[collectors.disk_usage]\npaths = [\"var\"]\n", List.of(2),
                    "collectors.disk_usage.paths"),
            // The agent reports each path as a sample label of at most 256 characters.
            new Invalid("disk path longer than a label", "[collectors.disk_usage]\npaths = [\"/" + "x".repeat(256)
                    + "\"]\n", List.of(2), "collectors.disk_usage.paths"),
            // Counted as the label counts (UTF-16 units): a slash and 128 characters beyond the BMP are 129
            // characters for a pattern but 257 units, one more than a label holds.
            new Invalid("disk path of supplementary characters longer than a label", "[collectors.disk_usage]\npaths = [\"/"
                    + "\uD83D\uDCBE".repeat(128) + "\"]\n", List.of(2), "collectors.disk_usage.paths"),
            new Invalid("section as value", "collector = 5\n", List.of(1), "collector"),
            new Invalid("collector as value", "[collectors]\npg_stats = true\n", List.of(2), "collectors.pg_stats"),
            new Invalid("date value", "[collector]\npush_interval = 2026-11-29\n", List.of(2), "collector.push_interval"),
            new Invalid("several errors", "[collector]\npush_interval = 0\nwatch = 1\n\n[postgres]\npassword = \"x\"\n",
                    List.of(2, 3, 6), "collector.push_interval"));
}
