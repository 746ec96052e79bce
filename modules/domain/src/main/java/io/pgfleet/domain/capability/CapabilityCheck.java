package io.pgfleet.domain.capability;

import io.pgfleet.domain.fleet.CapabilityGap;
import io.pgfleet.domain.fleet.CapabilityGap.Capability;
import io.pgfleet.domain.fleet.HostAllowances;
import io.pgfleet.domain.fleet.HostFacts;
import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.ConfigSchema;
import io.pgfleet.domain.schema.EffectiveConfig;
import io.pgfleet.domain.schema.Requirement;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks an effective configuration against what a member's agent reported: the schema's
 * requirements of every enabled collector ({@link ConfigSchema.Section#requires()}), the agent
 * schema version of every key a layer sets ({@link ConfigSchema.Key#since()}), the databases named,
 * and the host's allow-lists. What the facts do not say (an unreachable database, facts about
 * another server than the one configured, a list the agent trimmed) is not a gap: only what the host
 * is known to lack is.
 */
public final class CapabilityCheck {

    private static final Pattern LOOPBACK_V4 = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private CapabilityCheck() {
    }

    /**
     * What a member lacks for a configuration.
     *
     * @param setKeys   the dotted keys some layer sets (keys at their default need no newer agent)
     * @param effective the effective configuration
     * @param member    what the member's agent reported
     * @return the gaps, empty when it can run the configuration as far as its facts tell
     */
    public static List<CapabilityGap> check(Set<String> setKeys, EffectiveConfig effective, MemberFacts member) {
        List<CapabilityGap> gaps = new ArrayList<>();
        int understood = member.facts().schemaVersion();
        for (ConfigSchema.Section s : ConfigSchema.sections()) {
            for (ConfigSchema.Key k : s.keys()) {
                String key = s.path() + "." + k.name();
                if (k.since() > understood && setKeys.contains(key)) {
                    gaps.add(new CapabilityGap(Capability.AGENT_SCHEMA, key, "needs an agent that understands configuration"
                            + " schema " + k.since() + "; this agent" + (member.agentVersion().isEmpty() ? ""
                            : " (" + member.agentVersion() + ")") + " understands " + understood + "; upgrade it first"));
                }
            }
        }
        EffectiveConfig.PostgresTarget target = effective.postgres();
        member.facts().postgres().filter(pg -> pg.describes(target.host(), target.port())).ifPresent(pg -> {
            gaps.addAll(requirements(effective, pg));
            if (!pg.databasesTruncated()) {
                target.databases().stream().filter(db -> !pg.databases().contains(db)).forEach(db -> gaps.add(
                        new CapabilityGap(Capability.DATABASE, "postgres.databases", "database " + db
                                + " does not exist on " + pg.host() + ":" + pg.port())));
            }
        });
        member.allowances().ifPresent(a -> gaps.addAll(allowLists(target, a)));
        return List.copyOf(gaps);
    }

    /**
     * What the monitored PostgreSQL lacks for the collectors a configuration enables: the part of the
     * check the agent repeats on its host before it applies a configuration.
     *
     * @param effective the configuration
     * @param pg        the PostgreSQL it points at, as reached
     * @return the gaps
     */
    public static List<CapabilityGap> requirements(EffectiveConfig effective, HostFacts.PostgresFacts pg) {
        List<CapabilityGap> gaps = new ArrayList<>();
        String database = effective.postgres().databases().get(0);
        for (CollectorKind kind : CollectorKind.values()) {
            if (!effective.schedule(kind).enabled()) {
                continue;
            }
            String key = "collectors." + kind.key() + ".enabled";
            for (Requirement r : ConfigSchema.section("collectors." + kind.key()).orElseThrow().requires()) {
                switch (r) {
                    case Requirement.ServerVersion v -> {
                        if (pg.serverVersionNum() < v.atLeast()) {
                            gaps.add(new CapabilityGap(Capability.SERVER_VERSION, key, kind.key() + " needs "
                                    + v.describe() + "; the server is " + pg.serverVersionNum()));
                        }
                    }
                    case Requirement.Extension e -> {
                        List<String> installed = pg.extensions().get(database);
                        if (installed != null && !installed.contains(e.name())) {
                            gaps.add(new CapabilityGap(Capability.EXTENSION, key, kind.key() + " needs the extension "
                                    + e.name() + " in database " + database + ", which does not have it"
                                    + " (CREATE EXTENSION " + e.name() + ")"));
                        }
                    }
                    case Requirement.PreloadLibrary l -> {
                        if (!pg.preloadLibraries().contains(l.name())) {
                            gaps.add(new CapabilityGap(Capability.PRELOAD_LIBRARY, key, kind.key() + " needs "
                                    + l.name() + " in shared_preload_libraries, which is "
                                    + (pg.preloadLibraries().isEmpty() ? "empty" : pg.preloadLibraries())
                                    + " (a server restart is needed to change it)"));
                        }
                    }
                }
            }
        }
        return gaps;
    }

    /** The allow-lists as the agent applies them, on paths as written (the agent also resolves links). */
    private static List<CapabilityGap> allowLists(EffectiveConfig.PostgresTarget t, HostAllowances a) {
        List<CapabilityGap> gaps = new ArrayList<>();
        if (!t.passwordFile().isEmpty() && !inside(t.passwordFile(), a.passwordDirs())) {
            gaps.add(new CapabilityGap(Capability.PASSWORD_DIR, "postgres.password_file", t.passwordFile()
                    + " is not in a directory this host allows " + a.passwordDirs() + " (allowed_password_dirs)"));
        }
        if (!t.passwordEnv().isEmpty() && a.passwordEnv().stream().noneMatch(p -> p.endsWith("*")
                ? t.passwordEnv().startsWith(p.substring(0, p.length() - 1)) : t.passwordEnv().equals(p))) {
            gaps.add(new CapabilityGap(Capability.PASSWORD_ENV, "postgres.password_env", t.passwordEnv()
                    + " is not a variable this host allows " + a.passwordEnv() + " (allowed_password_env)"));
        }
        String h = t.host().startsWith("[") && t.host().endsWith("]") ? t.host().substring(1, t.host().length() - 1)
                : t.host();
        if (!a.hosts().contains(h) && !(a.hosts().contains("127.0.0.1") && LOOPBACK_V4.matcher(h).matches())) {
            gaps.add(new CapabilityGap(Capability.HOST, "postgres.host", t.host() + " is not a host this host allows "
                    + a.hosts() + " (allowed_hosts)"));
        }
        return gaps;
    }

    /** Whether a path, {@code .} and {@code ..} resolved as written, is strictly inside one of the directories. */
    static boolean inside(String path, List<String> dirs) {
        Optional<String> file = normal(path);
        return file.isPresent() && dirs.stream().map(CapabilityCheck::normal).flatMap(Optional::stream)
                .anyMatch(d -> file.get().startsWith(d.equals("/") ? "/" : d + "/") && !file.get().equals(d));
    }

    private static Optional<String> normal(String path) {
        if (!path.startsWith("/")) {
            return Optional.empty();
        }
        Deque<String> parts = new ArrayDeque<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(p);
            }
        }
        return Optional.of("/" + String.join("/", parts));
    }
}
