package io.pgfleet.agent;

import static io.pgfleet.toml.TomlValueKinds.kind;

import io.pgfleet.agent.core.AllowLists;
import io.pgfleet.agent.metrics.MetricsSettings;
import io.pgfleet.toml.TomlDocumentParser;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's local file: identity and transport only, never anything the server publishes.
 *
 * @param serverUrl              the server, e.g. {@code https://pgfleet.example:8443}
 * @param name                   the name shown in the fleet view (defaults to the host name)
 * @param labels                 labels shown in the fleet view
 * @param registrationSecretFile file holding the fleet's registration secret
 * @param enrolmentTokenFile     file holding a one-time enrolment token (instead of the secret)
 * @param stateDir               identity, tokens and the last-known-good configuration
 * @param caFile                 PEM CA to trust for the server (empty: the JDK's trust store)
 * @param certFile               PEM client certificate chain for mTLS
 * @param keyFile                PEM (PKCS#8) client key for mTLS
 * @param bufferSamples          most samples held while the server is away
 * @param allowLists             what a published configuration may use on this host
 * @param metrics                the agent's own metrics endpoint ({@code [metrics]}; off by default)
 */
public record LocalSettings(URI serverUrl, String name, Map<String, String> labels, Optional<Path> registrationSecretFile,
                            Optional<Path> enrolmentTokenFile, Path stateDir, Optional<Path> caFile,
                            Optional<Path> certFile, Optional<Path> keyFile, int bufferSamples,
                            AllowLists allowLists, MetricsSettings metrics) {

    private static final Set<String> KEYS = Set.of("server_url", "name", "labels", "registration_secret_file",
            "enrolment_token_file", "state_dir", "tls", "buffer_samples", "allowed_password_dirs", "allowed_password_env",
            "allowed_hosts", "metrics");
    private static final Set<String> TLS_KEYS = Set.of("ca_file", "cert_file", "key_file");
    private static final Set<String> METRICS_KEYS = Set.of("enabled", "host", "port");

    /**
     * Reads and checks the local file.
     *
     * @param file the agent's TOML file
     * @return the settings
     * @throws IllegalArgumentException naming what is wrong
     */
    public static LocalSettings read(Path file) {
        TomlParseResult toml;
        try {
            String text = Files.readString(file);
            if (text.startsWith(TomlDocumentParser.BYTE_ORDER_MARK)) {
                throw new IllegalArgumentException(file + ": " + TomlDocumentParser.BYTE_ORDER_MARK_MESSAGE
                        + " (line 1, column 1)");
            }
            toml = Toml.parse(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + reason(e));
        }
        if (toml.hasErrors()) {
            throw new IllegalArgumentException(file + ": " + toml.errors().get(0));
        }
        for (String k : toml.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException(file + ": unknown key '" + k + "'; known: " + String.join(", ", KEYS));
            }
        }
        // Every key is checked for its type before it is used: tomlj's typed getters would otherwise
        // stop the agent with a stack trace (TomlInvalidTypeException) instead of naming the key.
        checkTypes(toml, file);
        String url = toml.getString("server_url");
        if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new IllegalArgumentException(file + ": server_url must be an http:// or https:// URL");
        }
        URI server = serverUri(url, file);
        // The agent adds the API's paths itself: a URL copied from an API example would make every
        // request go to /api/v1/api/v1/… and be answered 404, retried for ever.
        String path = java.util.Objects.requireNonNullElse(server.getPath(), "").replaceAll("/+$", "");
        if (path.endsWith("/api/v1") || path.endsWith("/api")) {
            String base = url.substring(0, url.lastIndexOf(path.endsWith("/api") ? "/api" : "/api/v1"));
            throw new IllegalArgumentException(file + ": server_url is the server's address without the API's path: "
                    + "write " + base + " instead of " + url);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        TomlTable l = toml.getTable("labels");
        if (l != null) {
            for (String k : l.keySet()) {
                Object v = l.get(List.of(k));
                if (v instanceof TomlTable || v instanceof org.tomlj.TomlArray) {
                    throw new IllegalArgumentException(file + ": labels." + k + " must be a string, not a table or an array");
                }
                labels.put(k, String.valueOf(v));
            }
        }
        Path base = file.toAbsolutePath().getParent();
        Optional<Path> secret = path(toml, "registration_secret_file", base);
        Optional<Path> enrolment = path(toml, "enrolment_token_file", base);
        Path state = path(toml, "state_dir", base).orElseThrow(() -> new IllegalArgumentException(file + ": state_dir is required"));
        if (!Files.exists(state.resolve(AgentState.IDENTITY_FILE))) {
            try {
                // The labels are sent once, when the agent registers, and must then pass the server's
                // rule: checked here so that a bad file stops an agent yet to register at start with
                // this message instead of having every registration attempt refused. An agent
                // registered already (perhaps by a release that accepted any label name) sends them
                // no more, the server keeps its labels: it must still start after an upgrade.
                io.pgfleet.domain.collector.Collector.checkNewLabels(labels);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": labels: " + e.getMessage());
            }
        }
        TomlTable tls = toml.getTable("tls");
        Optional<Path> ca = Optional.empty();
        Optional<Path> cert = Optional.empty();
        Optional<Path> key = Optional.empty();
        if (tls != null) {
            for (String k : tls.keySet()) {
                if (!TLS_KEYS.contains(k)) {
                    throw new IllegalArgumentException(file + ": unknown key 'tls." + k + "'");
                }
            }
            ca = optionalPath(tls.getString("ca_file"), base);
            cert = optionalPath(tls.getString("cert_file"), base);
            key = optionalPath(tls.getString("key_file"), base);
            if (cert.isPresent() != key.isPresent()) {
                throw new IllegalArgumentException(file + ": tls.cert_file and tls.key_file go together");
            }
        }
        long buffer = toml.getLong("buffer_samples", () -> 20_000L);
        if (buffer < 100 || buffer > 10_000_000) {
            throw new IllegalArgumentException(file + ": buffer_samples must be 100..10000000");
        }
        String name = toml.getString("name", LocalSettings::hostname);
        AllowLists defaults = AllowLists.defaults();
        AllowLists allow;
        try {
            allow = new AllowLists(
                    strings(toml, file, "allowed_password_dirs", defaults.passwordDirs()).stream()
                            .map(d -> base.resolve(d).normalize().toString()).toList(),
                    strings(toml, file, "allowed_password_env", defaults.passwordEnv()),
                    strings(toml, file, "allowed_hosts", defaults.hosts()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        // What proves this agent's identity is never a password, whatever the allowed directories cover.
        List<String> own = new ArrayList<>();
        own.add(file.toAbsolutePath().normalize().toString());
        own.add(state.toString());
        secret.ifPresent(f -> own.add(f.toString()));
        enrolment.ifPresent(f -> own.add(f.toString()));
        key.ifPresent(f -> own.add(f.toString()));
        return new LocalSettings(URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url), name, labels,
                secret, enrolment, state, ca, cert, key, (int) buffer, allow.withOwnFiles(own), metrics(toml, file));
    }

    /**
     * The server's URL, refused at start when no request could ever reach a server through it: the
     * agent would otherwise retry it for ever ("port out of range", no host), send every request to
     * the server's root (the API's paths appended after a query or a fragment), or stop with the URI
     * parser's words, naming neither the file nor the key. A user and password in it are never sent
     * (the agent has its own credentials) and are not repeated.
     */
    private static URI serverUri(String url, Path file) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(file + ": server_url is not a URL (" + e.getReason() + " at character "
                    + (e.getIndex() + 1) + ")");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(file + ": server_url holds a user or password; the agent proves who it is"
                    + " with its own credentials (registration_secret_file, enrolment_token_file): remove them");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException(file + ": server_url names no host: " + url);
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new IllegalArgumentException(file + ": server_url has port " + uri.getPort() + "; a port is 1..65535");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(file + ": server_url has a " + (uri.getRawQuery() != null ? "query" : "fragment")
                    + " (" + url + "): the agent appends the API's paths to it, which would follow the "
                    + (uri.getRawQuery() != null ? "'?'" : "'#'"));
        }
        return uri;
    }

    private static MetricsSettings metrics(TomlParseResult toml, Path file) {
        if (!toml.contains("metrics")) {
            return MetricsSettings.off();
        }
        if (!toml.isTable("metrics")) {
            throw new IllegalArgumentException(file + ": metrics is a table ([metrics] enabled, host, port)");
        }
        TomlTable m = toml.getTable("metrics");
        for (String k : m.keySet()) {
            if (!METRICS_KEYS.contains(k)) {
                throw new IllegalArgumentException(file + ": unknown key 'metrics." + k + "'; known: enabled, host, port");
            }
        }
        try {
            Object enabled = m.get("enabled");
            if (enabled != null && !(enabled instanceof Boolean)) {
                throw new IllegalArgumentException("metrics.enabled is true or false");
            }
            Object host = m.get("host");
            if (host != null && !(host instanceof String)) {
                throw new IllegalArgumentException("metrics.host is a string (an address of this host)");
            }
            Object port = m.get("port");
            if (port != null && !(port instanceof Long)) {
                throw new IllegalArgumentException("metrics.port is an integer 0..65535");
            }
            long p = port == null ? MetricsSettings.DEFAULT_PORT : (Long) port;
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("metrics.port must be 0..65535, got " + p);
            }
            return new MetricsSettings(Boolean.TRUE.equals(enabled), host == null ? MetricsSettings.DEFAULT_HOST : (String) host,
                    (int) p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private static List<String> strings(TomlParseResult toml, Path file, String key, List<String> defaults) {
        if (!toml.contains(key)) {
            return defaults;
        }
        if (!toml.isArray(key)) {
            throw new IllegalArgumentException(key + " is a list of strings");
        }
        TomlArray a = toml.getArrayOrEmpty(key);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!(a.get(i) instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException(key + " is a list of non-empty strings");
            }
            out.add(s);
        }
        return out;
    }

    /** The keys read with a typed getter, checked first so that a wrong type is named, not thrown from tomlj. */
    private static void checkTypes(TomlParseResult toml, Path file) {
        for (String key : List.of("server_url", "name", "registration_secret_file", "enrolment_token_file", "state_dir")) {
            expect(toml.get(List.of(key)), String.class, file, key, "a string");
        }
        expect(toml.get(List.of("labels")), TomlTable.class, file, "labels", "a table (labels = { env = \"prod\" })");
        expect(toml.get(List.of("buffer_samples")), Long.class, file, "buffer_samples", "an integer 100..10000000");
        Object tls = toml.get(List.of("tls"));
        expect(tls, TomlTable.class, file, "tls", "a table ([tls] ca_file, cert_file, key_file)");
        if (tls instanceof TomlTable t) {
            for (String key : TLS_KEYS) {
                expect(t.get(List.of(key)), String.class, file, "tls." + key, "a string (a path)");
            }
        }
    }

    private static void expect(Object value, Class<?> type, Path file, String key, String what) {
        if (value != null && !type.isInstance(value)) {
            throw new IllegalArgumentException(file + ": " + key + " is " + what + ", not " + kind(value));
        }
    }

    private static String reason(IOException e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException x -> "no such file";
            case java.nio.file.AccessDeniedException x -> "permission denied (the agent runs as "
                    + System.getProperty("user.name") + ")";
            default -> e.getMessage() == null ? e.toString() : e.getMessage();
        };
    }

    private static Optional<Path> path(TomlParseResult toml, String key, Path base) {
        return optionalPath(toml.getString(key), base);
    }

    private static Optional<Path> optionalPath(String value, Path base) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(base.resolve(value).normalize());
    }

    static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }

    /**
     * What a SIGHUP finds in the local file the agent started with: the agent reads it only at start, so
     * an operator who edits it (an allow-list the FAILED report told them to extend) and runs
     * {@code systemctl reload} must be told that the running agent did not take the change, or that
     * the file would now stop the agent at its next start.
     *
     * @param file the local file these settings were read from
     * @return the line to log, or empty when the file still says what it said at start
     */
    public Optional<String> changedOnDisk(Path file) {
        LocalSettings now;
        try {
            now = read(file);
        } catch (IllegalArgumentException e) {
            return Optional.of("warning: the local file " + file + " as it stands now would stop the agent at its next start ("
                    + e.getMessage() + "); the agent runs on with what it read at start: correct the file before the agent"
                    + " restarts");
        }
        List<String> changed = new ArrayList<>();
        compare(changed, "server_url", serverUrl, now.serverUrl);
        compare(changed, "name", name, now.name);
        compare(changed, "labels", labels, now.labels);
        compare(changed, "registration_secret_file", registrationSecretFile, now.registrationSecretFile);
        compare(changed, "enrolment_token_file", enrolmentTokenFile, now.enrolmentTokenFile);
        compare(changed, "state_dir", stateDir, now.stateDir);
        compare(changed, "tls.ca_file", caFile, now.caFile);
        compare(changed, "tls.cert_file", certFile, now.certFile);
        compare(changed, "tls.key_file", keyFile, now.keyFile);
        compare(changed, "buffer_samples", bufferSamples, now.bufferSamples);
        compare(changed, "allowed_password_dirs", allowLists.passwordDirs(), now.allowLists.passwordDirs());
        compare(changed, "allowed_password_env", allowLists.passwordEnv(), now.allowLists.passwordEnv());
        compare(changed, "allowed_hosts", allowLists.hosts(), now.allowLists.hosts());
        compare(changed, "metrics", metrics, now.metrics);
        if (changed.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("the local file " + file + " changed since the agent started (" + String.join(", ", changed)
                + "): the agent reads it only at start and runs on with what it read then (its allow-lists, as reported"
                + " to the server, too); restart it for the change to take effect (systemctl restart pgfleet-agent)."
                + " SIGHUP only pulls the configuration");
    }

    private static void compare(List<String> changed, String key, Object then, Object now) {
        if (!java.util.Objects.equals(then, now)) {
            changed.add(key);
        }
    }
}
