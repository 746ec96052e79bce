package io.pgfleet.domain.fleet;

import java.util.List;

/**
 * What an agent's host allows a published configuration to use, as the agent reports it: the
 * directories a {@code password_file} may be in, the variables a {@code password_env} may name, the
 * hosts it may connect to. Bounded, since it comes from the agent.
 *
 * @param passwordDirs directories
 * @param passwordEnv  variable names or prefixes ending in {@code *}
 * @param hosts        host names, addresses or socket directories
 */
public record HostAllowances(List<String> passwordDirs, List<String> passwordEnv, List<String> hosts) {

    /** Most entries in one list. */
    public static final int MAX_ENTRIES = 64;
    /** Longest entry. */
    public static final int MAX_LENGTH = 512;

    /** Copies the lists and bounds them. */
    public HostAllowances {
        passwordDirs = bounded(passwordDirs, "password_dirs");
        passwordEnv = bounded(passwordEnv, "password_env");
        hosts = bounded(hosts, "hosts");
    }

    private static List<String> bounded(List<String> list, String name) {
        List<String> copy = List.copyOf(list);
        if (copy.size() > MAX_ENTRIES || copy.stream().anyMatch(s -> s.isEmpty() || s.length() > MAX_LENGTH)) {
            throw new IllegalArgumentException("allow_lists." + name + " holds at most " + MAX_ENTRIES
                    + " non-empty strings of at most " + MAX_LENGTH + " characters");
        }
        return copy;
    }
}
