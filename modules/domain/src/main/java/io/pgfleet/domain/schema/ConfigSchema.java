package io.pgfleet.domain.schema;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Every section and key a collector configuration may carry, with its type, range, default and
 * meaning. Validation, defaults and the reference page all come from here.
 */
public final class ConfigSchema {

    /**
     * The version of this schema as agents understand it: an agent reports the version it was built
     * with, and a key introduced by a later version ({@link Key#since()}) is refused for an agent that
     * reports an earlier one. Version 2 added {@code [collectors.pg_stat_statements]}.
     */
    public static final int VERSION = 2;

    /**
     * A key of a section.
     *
     * @param name         the key
     * @param type         what values it accepts
     * @param defaultValue the value when the key is absent (Long, Boolean, String or List of String)
     * @param description  what it does
     * @param since        the schema version that introduced it: an agent reporting an earlier one
     *                     does not know it
     */
    public record Key(String name, ValueType type, Object defaultValue, String description, int since) {
        /** Requires every part and a known schema version. */
        public Key {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(defaultValue, "defaultValue");
            Objects.requireNonNull(description, "description");
            if (since < 1 || since > VERSION) {
                throw new IllegalArgumentException("a key is introduced by schema version 1.." + VERSION);
            }
        }

        /**
         * A key of the first schema version.
         *
         * @param name         the key
         * @param type         what values it accepts
         * @param defaultValue the value when the key is absent
         * @param description  what it does
         */
        public Key(String name, ValueType type, Object defaultValue, String description) {
            this(name, type, defaultValue, description, 1);
        }
    }

    /**
     * A table of the document.
     *
     * @param path        dotted table name, e.g. {@code collectors.pg_stats}
     * @param description what it configures
     * @param keys        its keys in documented order
     * @param requires    what the monitored database must offer while this collector is enabled
     */
    public record Section(String path, String description, List<Key> keys, List<Requirement> requires) {
        /** Copies the keys and requirements. */
        public Section {
            keys = List.copyOf(keys);
            requires = List.copyOf(requires);
        }

        /**
         * A section without requirements.
         *
         * @param path        dotted table name
         * @param description what it configures
         * @param keys        its keys in documented order
         */
        public Section(String path, String description, List<Key> keys) {
            this(path, description, keys, List.of());
        }

        /**
         * A key by name.
         *
         * @param name the key
         * @return the key, or empty when the section has no such key
         */
        public Optional<Key> key(String name) {
            // A loop, not a stream: validation asks this for every key of every published document.
            for (Key k : keys) {
                if (k.name().equals(name)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * How deeply tables, arrays and inline tables may nest, counting the segments of table headers
     * and dotted keys: a valid configuration needs 3 ({@code [collectors.disk_usage]} then
     * {@code paths = [...]}). Deeper documents are refused before they are fully parsed, so that no
     * parser recurses without bound.
     */
    public static final int MAX_NESTING_DEPTH = 8;

    private static final Pattern ANY = Pattern.compile(".+", Pattern.DOTALL);
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("/[^\\x00]*");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern DATABASE_NAME = Pattern.compile("[^\\x00]{1,63}");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:/%\\[\\]-]{1,255}");

    /** The longest role name PostgreSQL keeps: NAMEDATALEN (64) less its terminating byte. */
    public static final int MAX_ROLE_NAME_BYTES = 63;
    /** The longest path the agent's operating system opens (Linux's PATH_MAX, its terminating byte included). */
    public static final int MAX_PATH_BYTES = 4_096;
    /** The longest environment variable name: far beyond any real one, and bounded. */
    public static final int MAX_ENV_NAME_BYTES = 255;
    /** The longest host: the pattern's bound, a DNS name's. */
    private static final int MAX_HOST_BYTES = 255;

    private static Key enabled(boolean on) {
        return new Key("enabled", new ValueType.Flag(), on, "whether this collector runs");
    }

    private static Key interval(long seconds) {
        return interval(seconds, 1);
    }

    private static Key interval(long seconds, int since) {
        return new Key("interval", new ValueType.IntegerRange(1, 86_400, "s"), seconds,
                "seconds between two collections; a change applies from the next tick, the collection in progress is not cut",
                since);
    }

    /**
     * The most entries of a list ({@code postgres.databases}, {@code collectors.disk_usage.paths}) in
     * a new document, and what the agent accepts. Each database is 12 samples a collection of
     * {@code pg_stats} (256 at the default minute: 3,072 a minute, half of what the server takes from
     * one collector by default), each path 3 of {@code disk_usage}.
     */
    public static final int MAX_LIST_ENTRIES = 256;

    /**
     * The most characters of all entries of one list together, in a new document and in what the
     * agent accepts. Parsing costs the agent about 350 bytes of heap per character of a string value
     * while it lasts (the TOML parser's syntax tree holds one node per character): both lists at this
     * bound take about 6 MB, which fits beside a full sample buffer (6 MB) in the agent's 16 MB heap;
     * measured in docs/benchmarks.md (Agent heap per listed entry).
     */
    public static final int MAX_LIST_CHARS = 8_192;

    /** The most statements {@code pg_stat_statements} reports per collection (each is one sample per metric). */
    public static final int MAX_STATEMENTS_TOP = 100;

    private static final List<Section> SECTIONS = List.of(
            new Section("collector", "How the agent talks to the server.", List.of(
                    new Key("config_pull_interval", new ValueType.IntegerRange(10, 86_400, "s"), 300L,
                            "poll period when `watch` is off, and the fallback re-check when it is on"),
                    new Key("push_interval", new ValueType.IntegerRange(1, 3_600, "s"), 60L,
                            "how often buffered samples are sent to the server"),
                    new Key("watch", new ValueType.Flag(), true,
                            "long-poll the server so that changes arrive within about a second"))),
            new Section("postgres", "The database this agent monitors.", List.of(
                    new Key("host", new ValueType.Word(HOST, false, "a host name, IP address or socket directory",
                            MAX_HOST_BYTES, "a DNS name's length"),
                            "localhost", "host to connect to"),
                    new Key("port", new ValueType.IntegerRange(1, 65_535, ""), 5432L, "TCP port"),
                    new Key("user", new ValueType.Word(ANY, false, "a role name", MAX_ROLE_NAME_BYTES,
                            "PostgreSQL's NAMEDATALEN"), "postgres", "role to connect as"),
                    new Key("password_file", new ValueType.Word(ABSOLUTE_PATH, true, "an absolute path", MAX_PATH_BYTES,
                            "PATH_MAX"), "",
                            "file on the agent's host holding the password; empty for none"),
                    new Key("password_env", new ValueType.Word(ENV_NAME, true,
                            "an environment variable name (letters, digits, `_`; not a digit first)", MAX_ENV_NAME_BYTES,
                            "a sane variable name"), "",
                            "environment variable of the agent holding the password; empty for none"),
                    new Key("databases", new ValueType.WordList(DATABASE_NAME, "a database name", MAX_LIST_ENTRIES,
                            MAX_LIST_CHARS), List.of("postgres"),
                            "databases to collect per-database statistics from"),
                    new Key("sslmode", new ValueType.Choice(List.of("disable", "allow", "prefer", "require",
                            "verify-ca", "verify-full")), "prefer", "libpq-style TLS mode of the connection"))),
            new Section("collectors.pg_stats", "`pg_stat_database` and `pg_database_size` per database.",
                    List.of(enabled(true), interval(60))),
            new Section("collectors.pg_connections", "`pg_stat_activity` counts by state.",
                    List.of(enabled(true), interval(30))),
            new Section("collectors.pg_locks", "`pg_locks`: waiting and granted counts, blocked sessions.",
                    List.of(enabled(false), interval(60))),
            new Section("collectors.sysstat", "`/proc/loadavg`, `/proc/meminfo`, `/proc/stat`.",
                    List.of(enabled(true), interval(30))),
            new Section("collectors.disk_usage", "Total, used and free bytes of each path.",
                    List.of(enabled(true), interval(300),
                            // Each path is a label of the agent's samples, at most 256 characters as
                            // Sample counts them (UTF-16 units): a pattern's quantifier would count a
                            // character beyond the Basic Multilingual Plane once, letting twice that through.
                            new Key("paths", new ValueType.WordList(ABSOLUTE_PATH, "an absolute path of at most 256 characters",
                                    io.pgfleet.domain.fleet.Sample.MAX_LABEL_VALUE, MAX_LIST_ENTRIES, MAX_LIST_CHARS), List.of("/"),
                                    "file systems to measure"))),
            new Section("collectors.pg_stat_statements", "The statements with the most total execution time, from "
                    + "the `pg_stat_statements` extension of the first database in `postgres.databases`.",
                    List.of(new Key("enabled", new ValueType.Flag(), false, "whether this collector runs", 2),
                            interval(60, 2),
                            new Key("top", new ValueType.IntegerRange(1, MAX_STATEMENTS_TOP, ""), 10L,
                                    "how many statements, by total execution time, are reported", 2)),
                    List.of(new Requirement.ServerVersion(130_000),
                            new Requirement.Extension("pg_stat_statements"),
                            new Requirement.PreloadLibrary("pg_stat_statements"))));

    /**
     * Keys that belong to the agent's local file and never to a published document, with the reason.
     * Keys are dotted paths; a name without a dot is forbidden at the top level.
     */
    private static final Map<String, String> FORBIDDEN = Map.ofEntries(
            Map.entry("postgres.password", "a literal password is not accepted in a published configuration; "
                    + "put it in a file on the host (password_file) or an environment variable (password_env)"),
            Map.entry("collector.id", identity("the collector id")),
            Map.entry("collector.name", identity("the collector name")),
            Map.entry("collector.labels", identity("labels")),
            Map.entry("backend", identity("the server address")),
            Map.entry("server_url", identity("the server address")),
            Map.entry("tls", identity("TLS files")),
            Map.entry("name", identity("the collector name")),
            Map.entry("labels", identity("labels")),
            Map.entry("registration_secret_file", identity("the registration secret")),
            Map.entry("enrolment_token_file", identity("the enrolment token")),
            Map.entry("state_dir", identity("the state directory")));

    private static final List<String> TLS_KEYS = List.of("ca_file", "cert_file", "key_file");

    /** The collector sections' names, computed once: validation reads them for every published document. */
    private static final List<String> COLLECTOR_NAMES = SECTIONS.stream().map(Section::path)
            .filter(p -> p.startsWith("collectors.")).map(p -> p.substring("collectors.".length())).toList();

    private ConfigSchema() {
    }

    private static String identity(String what) {
        return what + " is identity or transport: it lives only in the agent's local file, never in a published configuration";
    }

    /**
     * Every section, in documented order.
     *
     * @return the sections
     */
    public static List<Section> sections() {
        return SECTIONS;
    }

    /**
     * A section by dotted path.
     *
     * @param path e.g. {@code collectors.pg_stats}
     * @return the section, or empty when unknown
     */
    public static Optional<Section> section(String path) {
        // A loop, not a stream: validation asks this for every section of every published document.
        for (Section s : SECTIONS) {
            if (s.path().equals(path)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * The collector sections' names under {@code [collectors]}.
     *
     * @return e.g. {@code pg_stats}
     */
    public static List<String> collectorNames() {
        return COLLECTOR_NAMES;
    }

    /**
     * Why a key may never appear in a published document.
     *
     * @param dottedKey the key's full path
     * @return the reason, or empty when the key is not forbidden
     */
    public static Optional<String> forbidden(String dottedKey) {
        String reason = FORBIDDEN.get(dottedKey);
        if (reason != null) {
            return Optional.of(reason);
        }
        String last = dottedKey.substring(dottedKey.lastIndexOf('.') + 1);
        if (TLS_KEYS.contains(last)) {
            return Optional.of(identity("TLS files"));
        }
        return Optional.empty();
    }

    /**
     * The default of a key.
     *
     * @param section dotted section path
     * @param key     key name
     * @return the default value
     * @throws IllegalArgumentException when the schema has no such key
     */
    public static Object defaultOf(String section, String key) {
        return section(section).flatMap(s -> s.key(key)).map(Key::defaultValue)
                .orElseThrow(() -> new IllegalArgumentException("no key " + section + "." + key + " in the schema"));
    }

    /**
     * The reference page of every key, in Markdown, as published in {@code docs/configuration.md}.
     *
     * @return the page
     */
    public static String referenceMarkdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Configuration reference\n\n")
                .append("<!-- Generated from io.pgfleet.domain.schema.ConfigSchema; a test fails when this page and the schema disagree. -->\n\n")
                .append("A collector's configuration is a TOML document. What its agent receives is its **effective document**: ")
                .append("the collector's own document (`PUT /api/v1/config/{id}`) merged over the fleet's and its groups' ")
                .append("layers (see [Layers](#layers-fleet-groups-and-the-collectors-own-document) below). ")
                .append("The server validates every layer and every affected effective document before accepting a change, ")
                .append("and the agent validates what it receives again before applying it. ")
                .append("Unknown sections and keys, wrong types and out-of-range values are errors. ")
                .append("A key that no layer sets takes its default; removing a key from a layer brings back the value of the ")
                .append("layer below, or the default. Identity and transport (collector id, server URL, TLS files, ")
                .append("registration secrets) live only in the agent's local file.\n\n")
                .append(LAYERS);
        for (Section s : SECTIONS) {
            md.append("## `[").append(s.path()).append("]`\n\n").append(s.description()).append("\n\n");
            if (!s.requires().isEmpty()) {
                md.append("While enabled it requires: ")
                        .append(String.join("; ", s.requires().stream().map(Requirement::describe).toList()))
                        .append(". A publish that enables it for a collector whose agent reported otherwise is refused")
                        .append(" (see [Capabilities](#capabilities-what-each-host-can-run)).\n\n");
            }
            md.append("| key | type | default | meaning |\n|---|---|---|---|\n");
            for (Key k : s.keys()) {
                md.append("| `").append(k.name()).append("` | ").append(k.type().describe()).append(" | `")
                        .append(toml(k.defaultValue())).append("` | ").append(k.description())
                        .append(k.since() > 1 ? " (agent schema " + k.since() + " or later)" : "").append(" |\n");
            }
            md.append('\n');
        }
        md.append("## Limits\n\n")
                .append("- A document nests at most ").append(MAX_NESTING_DEPTH)
                .append(" levels of tables, arrays and inline tables, counting each segment of a table header or dotted key ")
                .append("(`[collectors.disk_usage]` with `paths = [\"/\"]` is 3). A deeper document is refused as invalid ")
                .append("(`422`) before it is parsed further.\n")
                .append("- `postgres.databases` and `collectors.disk_usage.paths` list at most ").append(MAX_LIST_ENTRIES)
                .append(" entries each, of at most ").append(MAX_LIST_CHARS)
                .append(" characters in all. A new version beyond either bound is refused as invalid (`422`, naming the key, ")
                .append("the count and the bound, at the line and column of the list); so is one beyond a bound the agent ")
                .append("receives, since it validates the same way (it reports the version `FAILED` and keeps running what it ran). ")
                .append("The bounds are what an agent runs within its 16 MB heap: parsing a document costs it about 350 bytes ")
                .append("per character of a string value while it lasts, and every entry is collected at every interval ")
                .append("(a database is 12 samples of `pg_stats`, a path 3 of `disk_usage`; 256 databases at the default minute ")
                .append("are half the samples the server takes from one collector). A version stored before these bounds is still ")
                .append("served, composed with the fleet and group layers, and can be replaced; an agent refuses it.\n")
                .append("- `postgres.user` is at most ").append(MAX_ROLE_NAME_BYTES)
                .append(" bytes (UTF-8; PostgreSQL's NAMEDATALEN: it would cut a longer name), `postgres.password_file` at most ")
                .append(MAX_PATH_BYTES).append(" bytes (PATH_MAX), `postgres.password_env` at most ").append(MAX_ENV_NAME_BYTES)
                .append(" and `postgres.host` at most ").append(MAX_HOST_BYTES)
                .append(". A new version beyond is refused as invalid (`422`, naming the key, its length and the bound, at the ")
                .append("line and column of the value), and an agent refuses it; a version stored before these bounds is ")
                .append("still served, composed and can be replaced.\n")
                .append("- A document is at most 256 KiB (the API's request body limit, `413` beyond).\n\n")
                .append(CAPABILITIES);
        md.append("## Never accepted\n\n| key | why |\n|---|---|\n");
        FORBIDDEN.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> md.append("| `").append(e.getKey()).append("` | ").append(e.getValue()).append(" |\n"));
        md.append("| `ca_file`, `cert_file`, `key_file` (anywhere) | ").append(identity("TLS files")).append(" |\n");
        return md.toString();
    }

    /** The capabilities guide of the reference page (written by hand, kept with the requirements it explains). */
    private static final String CAPABILITIES = """
            ## Capabilities: what each host can run

            Every agent reports, with each apply report, the **facts** of its host: the configuration schema
            version it understands (this server's is %d), its own version, the operating system, and — when it
            reached the monitored PostgreSQL — the host and port it reached, `server_version_num`,
            `shared_preload_libraries`, the databases that exist and the extensions created in each database of
            `postgres.databases` (at most %d of them), besides the allow-lists of its local file. The fleet view
            (`GET /api/v1/collectors`, `pgfleet collectors show ID`) shows them.

            Before a change is stored (a collector's own document, the fleet layer, a group's layer, a rollback
            of any of them, a collector's labels, a group's selector), every collector whose effective document
            it changes is checked against its facts:

            - a key that some layer sets, introduced by a later schema version than its agent understands
              (an agent too old for it would refuse the whole document);
            - every requirement of an enabled collector (the lines *While enabled it requires* above), in the
              first database of `postgres.databases`;
            - every database of `postgres.databases` exists;
            - `postgres.password_file`, `postgres.password_env` and `postgres.host` are inside the host's
              allow-lists (`allowed_password_dirs`, `allowed_password_env`, `allowed_hosts`).

            A change that leaves any member lacking something is refused with `422` (problem type
            `missing-capabilities`), naming the first 50 such members with what each lacks, and the first 50
            members it reaches whose agents never reported facts; nothing is stored. Members that never
            reported facts (agents older than facts, or never started) are **unknown**: listed, never refused.
            Facts about another PostgreSQL than the one a document points at (a changed `host` or `port`), a
            database whose extensions the agent could not read, and a list the agent had to trim say nothing,
            and refuse nothing. Deleting a group and registering a collector are never refused: members that
            then lack something are marked.

            `?force=true` (operators and admins: whoever may publish) accepts such a change; the fleet view then
            shows the members concerned with their `capability_gaps` until a later change of their effective
            document passes the check. On the host, the agent checks the requirements again before it applies
            a version and reports `FAILED` with the reason when the host lacks them.

            This is also how a fleet upgrade goes: publish a key of a newer schema only once the agents that
            receive it report that schema (upgrade them first, or put the key in a group of upgraded hosts); the
            refusal names the agents still to upgrade. Facts are bounded: at most 1000 databases (the agent
            sends the first 1000 and says it trimmed), extensions of at most 16 databases and 200 per database,
            64 preloaded libraries, names of at most 63 characters and an OS text of at most 128 characters; a
            report beyond these is refused (`400`) and nothing of it is stored.

            """.formatted(VERSION, 16);

    /** The layering guide of the reference page (written by hand, kept with the schema it explains). */
    private static final String LAYERS = """
            ## Layers: fleet, groups and the collector's own document

            An agent's effective document is merged, key by key, from these layers in this order; a later layer
            wins:

            1. the defaults below;
            2. the **fleet** layer (`PUT /api/v1/fleet/config`), shared by every collector;
            3. every **group** whose label selector matches the collector's labels, by ascending `priority`
               (equal priorities by group id) (`PUT /api/v1/groups/{group}/config`);
            4. the collector's **own** document (`PUT /api/v1/config/{id}`).

            Tables merge key by key; a value in a later layer replaces the earlier one whole (an array is
            replaced, never appended to). Every layer is a *partial* document, validated alone (its errors carry
            the layer's name and the line and column in that layer), and then every collector it reaches is
            validated whole: a change that would make any collector's effective document invalid is refused
            (`422`, the first 50 collectors with their errors) and nothing is stored. Each layer has its own
            history (versions 1, 2, 3 …, `If-Match`, diff, rollback), exactly like a collector's document.

            ### Example

            Two hundred hosts report every 60 s; production should report every 15 s, and one host is
            monitored on another port. The fleet layer:

            ```toml
            [collector]
            push_interval = 60

            [collectors.pg_locks]
            enabled = true
            ```

            A group `prod` with selector `{"env": "prod"}` and priority 10 (`POST /api/v1/groups`), and its layer:

            ```toml
            [collector]
            push_interval = 15
            ```

            The own document of `db-07` (labels `env=prod`):

            ```toml
            [postgres]
            port = 6432
            ```

            `GET /api/v1/config/db-07` then answers with `X-Config-Sources: fleet@1, group/prod@1, collector@1`
            and the effective document:

            ```toml
            [collector]
            push_interval = 15

            [postgres]
            port = 6432

            [collectors.pg_locks]
            enabled = true
            ```

            and `GET /api/v1/collectors/db-07/effective` names the source of every key:
            `collector.push_interval` → `group/prod@1`, `postgres.port` → `collector@1`,
            `collectors.pg_locks.enabled` → `fleet@1`, `postgres.host` → `default`. Remove `push_interval`
            from the group's layer and `db-07` falls back to the fleet's 60; change `db-07`'s labels
            (`PATCH /api/v1/collectors/db-07 {"labels": {"env": "staging"}}`) and it leaves the group. Either
            way its agent's watch answers within about a second.

            ### The effective document and its revision

            - While no fleet or group layer sets a value for a collector, its effective document is its own
              document **byte for byte**, and its effective revision is its own version: agents and tools that
              predate layers see no difference.
            - Once another layer contributes, the effective document is rendered canonically from the merged
              values: the sections in the order of this page (`[collector]`, `[postgres]`, then
              `[collectors.<name>]`), keys in the order of their tables below, one `key = value` per line,
              strings in double quotes, a blank line between sections. Keys no layer sets are left out (they
              take their defaults). The layers' comments and layout are not kept.
            - The effective revision (`X-Config-Version`, the `ETag`) rises by one exactly when the effective
              document changes, whichever layer or label change caused it; a fleet or group layer version that
              changes no value for a collector leaves its revision and its document alone, on every server
              instance, and wakes no watch: only `X-Config-Sources` moves on. "No value" is meant literally: a
              layer that adds a comment, or now spells out a key at the value it already had (its default, or
              what a lower layer set), gives the agent nothing to apply, so the document it received stays the
              current one, even though a fresh rendering would now list that key.
            - The collector's own document as published is `GET /api/v1/config/{id}/own`. `PUT
              /api/v1/config/{id}` accepts in `If-Match` either the own document's ETag or the effective ETag
              the editor read, as long as it is still current. **Do not put back a whole effective document as
              the own document**: every inherited value would then be pinned in the own layer and later fleet
              or group changes would no longer reach that collector.

            """;

    static String toml(Object value) {
        if (value instanceof String s) {
            return "\"" + s + "\"";
        }
        if (value instanceof List<?> l) {
            return "[" + String.join(", ", l.stream().map(ConfigSchema::toml).toList()) + "]";
        }
        return String.valueOf(value);
    }
}
