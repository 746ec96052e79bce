package io.pgfleet.agent.core;

import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a host allows a published configuration to use: the directories a {@code password_file}
 * may be in, the environment variables a {@code password_env} may name (a trailing {@code *}
 * matches any rest), and the hosts the agent may connect to. The host decides, not whoever can
 * publish: a configuration outside these fails before the agent touches the file, the variable or
 * the network, and its reason does not say whether a file exists.
 *
 * <p>Whatever the lists say, the agent's own credentials are never a password: the files it keeps
 * or reads to prove who it is ({@code ownFiles}: its state directory, registration secret,
 * enrolment token, TLS key, local file) and the pgfleet variables that hold credentials
 * ({@link #NEVER_ENV}). An allowed directory or a {@code PGFLEET_*} pattern that happens to cover
 * them must not turn them into something a publisher can make the agent send away.
 *
 * @param passwordDirs absolute directories
 * @param passwordEnv  variable names or prefixes ending in {@code *}
 * @param hosts        host names, IP addresses or socket directories
 * @param ownFiles     absolute files and directories of the agent's own credentials, never a password
 */
public record AllowLists(List<String> passwordDirs, List<String> passwordEnv, List<String> hosts,
                         List<String> ownFiles) {

    /** Variables holding pgfleet's own credentials: never a database password, whatever the lists say. */
    public static final Set<String> NEVER_ENV = Set.of("PGFLEET_ENROLMENT_TOKEN", "PGFLEET_REGISTRATION_SECRET",
            "PGFLEET_ADMIN_PASSWORD", "PGFLEET_TLS_KEY", "PGFLEET_TLS_KEYSTORE_PASSWORD");

    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    /** Copies the lists and requires absolute directories. */
    public AllowLists {
        passwordDirs = List.copyOf(passwordDirs);
        passwordEnv = List.copyOf(passwordEnv);
        hosts = List.copyOf(hosts);
        ownFiles = List.copyOf(ownFiles);
        for (String d : passwordDirs) {
            if (!Path.of(d).isAbsolute()) {
                throw new IllegalArgumentException("allowed_password_dirs holds absolute directories, got '" + d + "'");
            }
        }
        for (String f : ownFiles) {
            if (!Path.of(f).isAbsolute()) {
                throw new IllegalArgumentException("the agent's own files are absolute paths, got '" + f + "'");
            }
        }
        passwordEnv.forEach(Objects::requireNonNull);
        // The server refuses a status report whose lists break its rules; a local file holding such a
        // list fails here, when the agent starts, naming the local-file key, rather than at every report.
        try {
            new HostAllowances(passwordDirs, passwordEnv, hosts);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("allow_lists.", "allowed_"), e);
        }
    }

    /**
     * Lists without any own file of the agent (a core used as a library, tests).
     *
     * @param passwordDirs absolute directories
     * @param passwordEnv  variable names or prefixes ending in {@code *}
     * @param hosts        host names, IP addresses or socket directories
     */
    public AllowLists(List<String> passwordDirs, List<String> passwordEnv, List<String> hosts) {
        this(passwordDirs, passwordEnv, hosts, List.of());
    }

    /**
     * The same lists, knowing the agent's own credential files.
     *
     * @param files absolute files and directories
     * @return the lists
     */
    public AllowLists withOwnFiles(List<String> files) {
        return new AllowLists(passwordDirs, passwordEnv, hosts, files);
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
        if (!t.passwordFile().isEmpty()) {
            Optional<String> refused = passwordFile(Path.of(t.passwordFile()), passwordDirs, ownFiles, "");
            if (refused.isPresent()) {
                return refused;
            }
        }
        if (!t.passwordEnv().isEmpty() && NEVER_ENV.contains(t.passwordEnv())) {
            return Optional.of("postgres.password_env " + t.passwordEnv() + " holds one of pgfleet's own credentials,"
                    + " which is never a database password");
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

    /**
     * Checks a password file once its symbolic links are resolved: a link inside an allowed
     * directory must not lead out of it, nor to one of the agent's own files. Asked only after
     * {@link #check} allowed the path as written, with every path resolved by the host.
     *
     * @param realFile the password file, every link resolved
     * @param realDirs the allowed directories, resolved alike
     * @param realOwn  the agent's own files, resolved alike
     * @return why it is refused; empty when allowed
     */
    public Optional<String> checkResolved(String realFile, List<String> realDirs, List<String> realOwn) {
        return passwordFile(Path.of(realFile), realDirs, realOwn, " (after following symbolic links)");
    }

    private Optional<String> passwordFile(Path file, List<String> dirs, List<String> own, String how) {
        if (!dirAllowed(file, dirs)) {
            return Optional.of("postgres.password_file is not in a directory this host allows " + passwordDirs + how
                    + "; to allow it, add its directory to allowed_password_dirs in the agent's local file");
        }
        Path normal = file.normalize();
        if (own.stream().map(o -> Path.of(o).normalize()).anyMatch(normal::startsWith)) {
            return Optional.of("postgres.password_file names one of the agent's own credentials (its state directory,"
                    + " registration secret, enrolment token, TLS key or local file)" + how
                    + ", which is never a database password");
        }
        return Optional.empty();
    }

    private static boolean dirAllowed(Path p, List<String> dirs) {
        if (!p.isAbsolute()) {
            return false;
        }
        Path normal = p.normalize();
        return dirs.stream().map(d -> Path.of(d).normalize())
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
