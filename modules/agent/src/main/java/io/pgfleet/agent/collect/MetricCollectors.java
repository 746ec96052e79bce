package io.pgfleet.agent.collect;

import io.pgfleet.agent.core.MetricSource;
import io.pgfleet.domain.common.ShownText;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.domain.fleet.Sample;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What each collector of SPEC §2 measures. PostgreSQL collectors read the monitored database;
 * host collectors read {@code /proc} and the file systems.
 */
public final class MetricCollectors implements MetricSource {

    private final MonitoredDatabase database = new MonitoredDatabase();
    /** Each path on its own (one removed or hung does not take the others with it). */
    private final DiskUsage disk = new DiskUsage();

    @Override
    public void retarget(EffectiveConfig.PostgresTarget target) {
        database.retarget(target);
    }

    @Override
    public void close() {
        database.close();
    }

    /**
     * Collects once.
     *
     * @param kind   which collector
     * @param config the configuration in force
     * @return the samples
     * @throws Exception when the source cannot be read
     */
    @Override
    public List<Sample> collect(CollectorKind kind, EffectiveConfig config) throws Exception {
        Instant now = Instant.now();
        return switch (kind) {
            case PG_STATS -> database.with(c -> pgStats(c, config.postgres().databases(), now));
            case PG_CONNECTIONS -> database.with(c -> pgConnections(c, now));
            case PG_LOCKS -> database.with(c -> pgLocks(c, now));
            case SYSSTAT -> sysstat(now);
            case DISK_USAGE -> disk.collect(config.diskPaths(), now);
            case PG_STAT_STATEMENTS -> database.with(c -> pgStatStatements(c, config.statementsTop(), now));
        };
    }

    /** The longest statement text kept in a label, in UTF-16 units (a sample takes label values of 256). */
    static final int MAX_QUERY_LABEL = 200;

    /**
     * The most characters of a statement's text read: its constants are hidden before its
     * whitespace is folded (a line comment ends at a line break), so more than the label keeps,
     * and no more, for a text may be as long as the statement was.
     */
    static final int MAX_QUERY_TEXT = 4096;

    /** Whitespace folded into one space in a statement's label. */
    private static final java.util.regex.Pattern WHITESPACE = java.util.regex.Pattern.compile("\\s+");

    /**
     * The statements with the most total execution time since the statistics were last reset
     * (PostgreSQL 13 and later name the column {@code total_exec_time}). One statement has a row per
     * role that ran it (and per nesting level), all with its queryid: summed into one series, or a
     * collection would name the same point twice, which the server refuses with the whole batch.
     */
    private static List<Sample> pgStatStatements(Connection c, int top, Instant now) throws SQLException {
        List<Sample> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT s.queryid::text AS queryid, left(min(s.query), ?) AS query,
                       sum(s.calls) AS calls, sum(s.total_exec_time) AS total_exec_time, sum(s.rows) AS rows
                FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = current_database() AND s.queryid IS NOT NULL
                GROUP BY s.queryid
                ORDER BY sum(s.total_exec_time) DESC LIMIT ?""")) {
            ps.setInt(1, MAX_QUERY_TEXT);
            ps.setInt(2, top);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, String> l = Map.of("queryid", rs.getString("queryid"), "query",
                            labelValue(WHITESPACE.matcher(withoutLiterals(rs.getString("query"))).replaceAll(" "),
                                    MAX_QUERY_LABEL));
                    out.add(new Sample("pg_stat_statements_calls_total", l, rs.getDouble("calls"), now));
                    out.add(new Sample("pg_stat_statements_exec_seconds_total", l,
                            rs.getDouble("total_exec_time") / 1000.0, now));
                    out.add(new Sample("pg_stat_statements_rows_total", l, rs.getDouble("rows"), now));
                }
            }
        }
        return out;
    }

    /** What a string constant of a statement's text is shown as. */
    static final String LITERAL = "'?'";

    /**
     * A statement's text with every string constant ({@code '…'}, {@code E'…'}, {@code $tag$…$tag$})
     * shown as {@value #LITERAL}. pg_stat_statements replaces the constants of queries by
     * {@code $1}, {@code $2} …, but keeps utility statements as they were run (every release before
     * 16, and their password clauses in later ones too): {@code ALTER ROLE app PASSWORD 'secret'},
     * {@code CREATE USER MAPPING … OPTIONS (password '…')} or a {@code COPY … PROGRAM '…'} would go
     * to the server as a label, kept with the samples and shown to whoever may read them. Comments
     * ({@code --} to the line's end, nested {@code /* … *}{@code /}) are kept as written: a quote
     * in one starts nothing, or it would end at the next constant's opening quote and show that
     * constant. A constant cut off by the text's end is hidden to the end, and so is the rest of
     * the text after a plain constant whose end depends on the session that ran it ({@code \'}
     * ends it with standard_conforming_strings on, is a quote within it with the setting off).
     * The text must still hold its line breaks: folded into spaces, a line comment would seem to
     * run to the text's end.
     *
     * @param query the statement as pg_stat_statements keeps it
     * @return the text without its string constants
     */
    static String withoutLiterals(String query) {
        int n = query.length();
        StringBuilder out = new StringBuilder(n);
        int i = 0;
        while (i < n) {
            char c = query.charAt(i);
            if (c == '-' && i + 1 < n && query.charAt(i + 1) == '-') {
                int end = i;
                while (end < n && query.charAt(end) != '\n' && query.charAt(end) != '\r') {
                    end++;
                }
                out.append(query, i, end);
                i = end;
            } else if (c == '/' && i + 1 < n && query.charAt(i + 1) == '*') {
                int end = commentEnd(query, i);
                out.append(query, i, end);
                i = end;
            } else if (c == '"') {
                // A quoted identifier is a name, not a constant; a quote inside it starts nothing.
                int end = query.indexOf('"', i + 1);
                end = end < 0 ? n : end + 1;
                out.append(query, i, end);
                i = end;
            } else if (c == '\'') {
                // E'…' takes backslash escapes (\' is a quote inside it); '' is a quote in any string.
                boolean escapes = i > 0 && (query.charAt(i - 1) == 'E' || query.charAt(i - 1) == 'e')
                        && (i < 2 || !identifierPart(query.charAt(i - 2)));
                int end = stringEnd(query, i + 1, true);
                if (!escapes && stringEnd(query, i + 1, false) != end) {
                    end = n;
                }
                out.append(LITERAL);
                i = end;
            } else if (c == '$' && (i == 0 || !identifierPart(query.charAt(i - 1)))) {
                int tagEnd = i + 1;
                while (tagEnd < n && (Character.isLetter(query.charAt(tagEnd)) || query.charAt(tagEnd) == '_'
                        || tagEnd > i + 1 && Character.isDigit(query.charAt(tagEnd)))) {
                    tagEnd++;
                }
                if (tagEnd < n && query.charAt(tagEnd) == '$') {
                    // $$…$$ or $tag$…$tag$; $1 (a parameter) has no closing $ after its digits.
                    String tag = query.substring(i, tagEnd + 1);
                    int close = query.indexOf(tag, tagEnd + 1);
                    out.append(LITERAL);
                    i = close < 0 ? n : close + tag.length();
                } else {
                    out.append(c);
                    i++;
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** Past the quote that ends a constant whose text starts at {@code from}, or the text's end. */
    private static int stringEnd(String query, int from, boolean backslashEscapes) {
        int j = from;
        while (j < query.length()) {
            char d = query.charAt(j);
            if (backslashEscapes && d == '\\') {
                j += 2;
            } else if (d == '\'' && j + 1 < query.length() && query.charAt(j + 1) == '\'') {
                j += 2;
            } else if (d == '\'') {
                return j + 1;
            } else {
                j++;
            }
        }
        return query.length();
    }

    /** Past the end of the block comment at {@code from} (they nest, as PostgreSQL reads them), or the text's end. */
    private static int commentEnd(String query, int from) {
        int depth = 0;
        int j = from;
        while (j + 1 < query.length()) {
            if (query.charAt(j) == '/' && query.charAt(j + 1) == '*') {
                depth++;
                j += 2;
            } else if (query.charAt(j) == '*' && query.charAt(j + 1) == '/') {
                j += 2;
                if (--depth == 0) {
                    return j;
                }
            } else {
                j++;
            }
        }
        return query.length();
    }

    private static boolean identifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /**
     * A text the agent does not choose (a statement, a database name, a path) as a label value the
     * server takes: every character it refuses in one ({@link ShownText#breaksALine}: controls, line
     * feeds and tabs included, bidirectional formatting characters, line separators; a statement's
     * comment may hold any of them) written as <code>&#92;uXXXX</code>, and cut to {@code max}
     * UTF-16 units, as a sample's label is measured, never within an escape or a pair. PostgreSQL's
     * {@code left} counts characters, and a character outside the basic plane (an emoji) is two
     * units: 200 of them would make a label the sample refuses, and with it the whole run, for as
     * long as that statement stays among the top.
     */
    static String labelValue(String text, int max) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), max));
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String piece;
            if (ShownText.breaksALine(c)) {
                piece = String.format("\\u%04x", (int) c);
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length()) {
                piece = text.substring(i, i + 2);
            } else {
                piece = String.valueOf(c);
            }
            if (b.length() + piece.length() > max) {
                break;
            }
            b.append(piece);
            // A pair took the next character of the text too.
            i += piece.length() == 2 ? 1 : 0;
        }
        return b.toString();
    }

    @Override
    public Optional<String> unreachable(EffectiveConfig.PostgresTarget target) {
        try (Connection c = MonitoredDatabase.connect(target);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
            return Optional.empty();
        } catch (SQLException e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    @Override
    public Optional<HostFacts.PostgresFacts> probe(EffectiveConfig.PostgresTarget target) {
        try (Connection c = MonitoredDatabase.connect(target)) {
            int version;
            List<String> preload = new ArrayList<>();
            List<String> databases = new ArrayList<>();
            boolean dropped = false;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT current_setting('server_version_num')::int AS v,
                           current_setting('shared_preload_libraries') AS preload""")) {
                rs.next();
                version = rs.getInt("v");
                preload.addAll(libraries(rs.getString("preload")));
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT datname FROM pg_database WHERE datallowconn"
                    + " ORDER BY datname LIMIT ?")) {
                ps.setInt(1, HostFacts.MAX_DATABASES + 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (plain(rs.getString(1))) {
                            databases.add(rs.getString(1));
                        } else {
                            // A name left out makes the list incomplete: the server must not take a
                            // database missing from it as one that does not exist.
                            dropped = true;
                        }
                    }
                }
            }
            boolean truncated = dropped || databases.size() > HostFacts.MAX_DATABASES;
            Map<String, List<String>> extensions = new java.util.LinkedHashMap<>();
            extensions.put(target.databases().get(0), extensions(c));
            // The other monitored databases each on a short connection of their own, as far as the bound goes.
            for (String db : target.databases().subList(1, target.databases().size())) {
                if (extensions.size() >= HostFacts.MAX_EXTENSION_DATABASES || !databases.contains(db)) {
                    continue;
                }
                try (Connection other = MonitoredDatabase.connect(new EffectiveConfig.PostgresTarget(target.host(),
                        target.port(), target.user(), target.passwordFile(), target.passwordEnv(), List.of(db),
                        target.sslmode()))) {
                    extensions.put(db, extensions(other));
                } catch (SQLException e) {
                    // Unknown for this database: not reported, so nothing is refused for it.
                }
            }
            return Optional.of(new HostFacts.PostgresFacts(target.host(), target.port(), version, preload,
                    databases.subList(0, Math.min(databases.size(), HostFacts.MAX_DATABASES)), truncated, extensions));
        } catch (SQLException | RuntimeException e) {
            // Whatever goes wrong reading them, facts are then unknown: a probe never stops an apply.
            return Optional.empty();
        }
    }

    /**
     * The libraries of a {@code shared_preload_libraries} setting by name: quotes removed, and a
     * library given by path ({@code $libdir/pg_stat_statements.so}) named by its file without suffix,
     * as the schema's requirements name them.
     */
    static List<String> libraries(String setting) {
        List<String> out = new ArrayList<>();
        for (String lib : setting.split(",")) {
            String name = lib.strip().replace("\"", "");
            name = name.substring(name.lastIndexOf('/') + 1);
            if (name.endsWith(".so")) {
                name = name.substring(0, name.length() - 3);
            }
            if (!name.isEmpty() && out.size() < HostFacts.MAX_PRELOAD && plain(name)) {
                out.add(name);
            }
        }
        return out;
    }

    private static List<String> extensions(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT extname FROM pg_extension ORDER BY extname LIMIT ?")) {
            ps.setInt(1, HostFacts.MAX_EXTENSIONS);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (plain(rs.getString(1))) {
                        out.add(rs.getString(1));
                    }
                }
            }
        }
        return out;
    }

    /** A name the server keeps (see {@link HostFacts#IDENTIFIER}); others are left out rather than refuse the report. */
    private static boolean plain(String name) {
        return HostFacts.IDENTIFIER.matcher(name).matches();
    }

    private static List<Sample> pgStats(Connection c, List<String> databases, Instant now) throws SQLException {
        List<Sample> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned,
                       tup_fetched, tup_inserted, tup_updated, tup_deleted, deadlocks, pg_database_size(datname) AS size
                FROM pg_stat_database WHERE datname = ANY (?)""")) {
            Array names = c.createArrayOf("text", databases.toArray());
            ps.setArray(1, names);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, String> l = Map.of("datname", labelValue(rs.getString("datname"), Sample.MAX_LABEL_VALUE));
                    for (String col : List.of("numbackends", "xact_commit", "xact_rollback", "blks_read", "blks_hit",
                            "tup_returned", "tup_fetched", "tup_inserted", "tup_updated", "tup_deleted", "deadlocks")) {
                        out.add(new Sample(("pg_stat_database_" + col).intern(), l, rs.getDouble(col), now));
                    }
                    out.add(new Sample("pg_database_size_bytes", l, rs.getDouble("size"), now));
                }
            }
        }
        return out;
    }

    private static List<Sample> pgConnections(Connection c, Instant now) throws SQLException {
        List<Sample> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT coalesce(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity
                WHERE backend_type = 'client backend' GROUP BY 1""")) {
            while (rs.next()) {
                out.add(new Sample("pg_connections", Map.of("state", rs.getString("state")), rs.getDouble("n"), now));
            }
        }
        return out;
    }

    private static List<Sample> pgLocks(Connection c, Instant now) throws SQLException {
        List<Sample> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT count(*) FILTER (WHERE granted) AS granted, count(*) FILTER (WHERE NOT granted) AS waiting,
                       (SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0) AS blocked
                FROM pg_locks""")) {
            rs.next();
            out.add(new Sample("pg_locks_granted", Map.of(), rs.getDouble("granted"), now));
            out.add(new Sample("pg_locks_waiting", Map.of(), rs.getDouble("waiting"), now));
            out.add(new Sample("pg_blocked_sessions", Map.of(), rs.getDouble("blocked"), now));
        }
        return out;
    }

    private static List<Sample> sysstat(Instant now) throws IOException {
        List<Sample> out = new ArrayList<>();
        String[] load = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        out.add(new Sample("node_load1", Map.of(), Double.parseDouble(load[0]), now));
        out.add(new Sample("node_load5", Map.of(), Double.parseDouble(load[1]), now));
        out.add(new Sample("node_load15", Map.of(), Double.parseDouble(load[2]), now));
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            String[] p = line.split("[:\\s]+");
            if (p.length >= 2 && (p[0].equals("MemTotal") || p[0].equals("MemAvailable") || p[0].equals("MemFree"))) {
                out.add(new Sample(("node_memory_" + p[0] + "_bytes").intern(), Map.of(), Double.parseDouble(p[1]) * 1024, now));
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
            if (line.startsWith("cpu ")) {
                String[] p = line.trim().split("\\s+");
                String[] modes = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
                for (int i = 0; i < modes.length && i + 1 < p.length; i++) {
                    // /proc/stat counts USER_HZ ticks, 100 per second on Linux.
                    out.add(new Sample("node_cpu_seconds_total", Map.of("mode", modes[i]), Double.parseDouble(p[i + 1]) / 100.0, now));
                }
            }
        }
        return out;
    }
}
