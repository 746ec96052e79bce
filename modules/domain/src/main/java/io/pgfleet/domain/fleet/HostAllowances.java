package io.pgfleet.domain.fleet;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What an agent's host allows a published configuration to use, as the agent reports it: the
 * directories a {@code password_file} may be in, the variables a {@code password_env} may name, the
 * hosts it may connect to. Bounded, since it comes from the agent, and every entry is something its
 * list can hold (what a configuration could name there), since operators read these entries in
 * capability-gap messages: an entry that no configuration could match, such as an escape sequence or
 * a right-to-left override, is refused rather than shown.
 *
 * @param passwordDirs absolute directories
 * @param passwordEnv  variable names, or prefixes ending in {@code *}
 * @param hosts        host names, addresses or socket directories
 */
public record HostAllowances(List<String> passwordDirs, List<String> passwordEnv, List<String> hosts) {

    /** Most entries in one list. */
    public static final int MAX_ENTRIES = 64;
    /** Longest entry. */
    public static final int MAX_LENGTH = 512;

    /** A variable name as {@code postgres.password_env} takes it, or a prefix of one ending in {@code *}. */
    private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\*?|\\*");
    /** A host as {@code postgres.host} takes it. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:/%\\[\\]-]{1,255}");

    /** Copies the lists, bounds them and requires every entry to be one its list can hold. */
    public HostAllowances {
        passwordDirs = bounded(passwordDirs, "password_dirs");
        passwordEnv = bounded(passwordEnv, "password_env");
        hosts = bounded(hosts, "hosts");
        for (String d : passwordDirs) {
            if (!d.startsWith("/") || io.pgfleet.domain.common.ShownText.firstActedOn(d).isPresent()) {
                throw new IllegalArgumentException("allow_lists.password_dirs holds absolute directories without"
                        + " control, bidirectional or line separator characters, got " + shown(d));
            }
        }
        for (String e : passwordEnv) {
            if (!ENV.matcher(e).matches()) {
                throw new IllegalArgumentException("allow_lists.password_env holds variable names (letters, digits"
                        + " and _, not starting with a digit), each optionally ending in *, got " + shown(e));
            }
        }
        for (String h : hosts) {
            if (!HOST.matcher(h).matches()) {
                throw new IllegalArgumentException("allow_lists.hosts holds host names, IP addresses and socket"
                        + " directories (letters, digits and . _ : / % [ ] -, at most 255), got " + shown(h));
            }
        }
    }

    private static List<String> bounded(List<String> list, String name) {
        List<String> copy = List.copyOf(list);
        if (copy.size() > MAX_ENTRIES || copy.stream().anyMatch(s -> s.isEmpty() || s.length() > MAX_LENGTH)) {
            throw new IllegalArgumentException("allow_lists." + name + " holds at most " + MAX_ENTRIES
                    + " non-empty strings of at most " + MAX_LENGTH + " characters");
        }
        return copy;
    }

    /** The refused entry as a message may quote it: escaped, and cut short (it is at most MAX_LENGTH). */
    private static String shown(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return "'" + io.pgfleet.domain.common.ShownText.escaped(cut) + "'";
    }
}
