package io.pgfleet.agent.core;

import io.pgfleet.domain.schema.EffectiveConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a host allows a published configuration to use: the directories a {@code password_file}
 * may be in, the environment variables a {@code password_env} may name (a trailing {@code *}
 * matches any rest), and the hosts the agent may connect to. The host decides, not whoever can
 * publish: a configuration outside these fails before the agent touches the file, the variable or
 * the network, and its reason does not say whether a file exists.
 *
 * @param passwordDirs absolute directories
 * @param passwordEnv  variable names or prefixes ending in {@code *}
 * @param hosts        host names, IP addresses or socket directories
 */
public record AllowLists(List<String> passwordDirs, List<String> passwordEnv, List<String> hosts) {

    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    /** Copies the lists and requires absolute directories. */
    public AllowLists {
        passwordDirs = List.copyOf(passwordDirs);
        passwordEnv = List.copyOf(passwordEnv);
        hosts = List.copyOf(hosts);
        for (String d : passwordDirs) {
            if (!Path.of(d).isAbsolute()) {
                throw new IllegalArgumentException("allowed_password_dirs holds absolute directories, got '" + d + "'");
            }
        }
        passwordEnv.forEach(Objects::requireNonNull);
    }

    /**
     * The defaults: passwords from {@code /etc/pgfleet/secrets}, {@code PGPASSWORD} or
     * {@code PGFLEET_*}; connections to loopback, {@code localhost} and the usual socket directories.
     *
     * @return the defaults
     */
    public static AllowLists defaults() {
        return new AllowLists(List.of("/etc/pgfleet/secrets"), List.of("PGPASSWORD", "PGFLEET_*"),
                List.of("localhost", "127.0.0.1", "::1", "/var/run/postgresql", "/run/postgresql", "/tmp"));
    }

    /**
     * Checks a database target against the lists.
     *
     * @param t the target a configuration names
     * @return why it is refused, naming the local-file key to set; empty when allowed
     */
    public Optional<String> check(EffectiveConfig.PostgresTarget t) {
        if (!t.passwordFile().isEmpty() && !dirAllowed(t.passwordFile())) {
            return Optional.of("postgres.password_file is not in a directory this host allows " + passwordDirs
                    + "; to allow it, add its directory to allowed_password_dirs in the agent's local file");
        }
        if (!t.passwordEnv().isEmpty() && !envAllowed(t.passwordEnv())) {
            return Optional.of("postgres.password_env " + t.passwordEnv() + " is not a variable this host allows "
                    + passwordEnv + "; to allow it, add it to allowed_password_env in the agent's local file");
        }
        if (!hostAllowed(t.host())) {
            return Optional.of("postgres.host " + t.host() + " is not a host this host allows " + hosts
                    + "; to allow it, add it to allowed_hosts in the agent's local file");
        }
        return Optional.empty();
    }

    private boolean dirAllowed(String file) {
        Path p = Path.of(file);
        if (!p.isAbsolute()) {
            return false;
        }
        Path normal = p.normalize();
        return passwordDirs.stream().map(d -> Path.of(d).normalize())
                .anyMatch(d -> normal.startsWith(d) && !normal.equals(d));
    }

    private boolean envAllowed(String name) {
        return passwordEnv.stream().anyMatch(a -> a.endsWith("*")
                ? name.startsWith(a.substring(0, a.length() - 1)) : name.equals(a));
    }

    private boolean hostAllowed(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (hosts.contains(h)) {
            return true;
        }
        // Any loopback literal counts as loopback when the list allows loopback at all.
        return hosts.contains("127.0.0.1") && LOOPBACK_V4.matcher(h).matches();
    }
}
