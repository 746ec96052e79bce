package io.pgfleet.domain.reload;

import io.pgfleet.domain.schema.CollectorKind;
import io.pgfleet.domain.schema.EffectiveConfig;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What switching from one effective configuration to another changes. The new document replaces
 * the old one entirely (a removed key is back at its default), so the change is computed between
 * effective configurations, never between documents.
 *
 * @param started             collectors that were off and are on
 * @param stopped             collectors that were on and are off
 * @param rescheduled         collectors that stay on with a new interval
 * @param reconnect           whether the monitored database connection changes
 * @param pushIntervalChanged whether the push interval changes
 * @param watchChanged        whether watching is switched on or off
 * @param pullIntervalChanged whether the pull interval changes
 * @param diskPathsChanged    whether disk_usage measures other paths
 */
public record ConfigChange(Set<CollectorKind> started, Set<CollectorKind> stopped, Set<CollectorKind> rescheduled,
                           boolean reconnect, boolean pushIntervalChanged, boolean watchChanged,
                           boolean pullIntervalChanged, boolean diskPathsChanged) {

    /** Copies the sets. */
    public ConfigChange {
        started = Set.copyOf(started);
        stopped = Set.copyOf(stopped);
        rescheduled = Set.copyOf(rescheduled);
    }

    /**
     * The change from one configuration to the next.
     *
     * @param before the running configuration
     * @param after  the new one
     * @return what changes
     */
    public static ConfigChange between(EffectiveConfig before, EffectiveConfig after) {
        Set<CollectorKind> started = EnumSet.noneOf(CollectorKind.class);
        Set<CollectorKind> stopped = EnumSet.noneOf(CollectorKind.class);
        Set<CollectorKind> rescheduled = EnumSet.noneOf(CollectorKind.class);
        for (CollectorKind k : CollectorKind.values()) {
            EffectiveConfig.Schedule a = before.schedule(k);
            EffectiveConfig.Schedule b = after.schedule(k);
            if (!a.enabled() && b.enabled()) {
                started.add(k);
            } else if (a.enabled() && !b.enabled()) {
                stopped.add(k);
            } else if (a.enabled() && !a.interval().equals(b.interval())) {
                rescheduled.add(k);
            }
        }
        return new ConfigChange(started, stopped, rescheduled, !before.postgres().equals(after.postgres()),
                !before.pushInterval().equals(after.pushInterval()), before.watch() != after.watch(),
                !before.pullInterval().equals(after.pullInterval()), !before.diskPaths().equals(after.diskPaths()));
    }

    /**
     * Whether anything changes.
     *
     * @return false when both configurations behave alike
     */
    public boolean isEmpty() {
        return started.isEmpty() && stopped.isEmpty() && rescheduled.isEmpty() && !reconnect && !pushIntervalChanged
                && !watchChanged && !pullIntervalChanged && !diskPathsChanged;
    }

    /**
     * The change in plain words, for the agent's log.
     *
     * @param after the new configuration
     * @return e.g. "pg_stats every 2 s (was different); push every 5 s"
     */
    public String describe(EffectiveConfig after) {
        List<String> parts = new ArrayList<>();
        started.forEach(k -> parts.add(k.key() + " started, every " + after.schedule(k).interval().toSeconds() + " s"));
        stopped.forEach(k -> parts.add(k.key() + " stopped"));
        rescheduled.forEach(k -> parts.add(k.key() + " now every " + after.schedule(k).interval().toSeconds() + " s"));
        if (reconnect) {
            parts.add("monitored database now " + after.postgres().host() + ":" + after.postgres().port());
        }
        if (pushIntervalChanged) {
            parts.add("push every " + after.pushInterval().toSeconds() + " s");
        }
        if (watchChanged) {
            parts.add(after.watch() ? "watching for changes" : "polling every " + after.pullInterval().toSeconds() + " s");
        }
        if (pullIntervalChanged && !watchChanged) {
            parts.add("pull interval " + after.pullInterval().toSeconds() + " s");
        }
        if (diskPathsChanged) {
            parts.add("disk_usage paths " + after.diskPaths());
        }
        return parts.isEmpty() ? "no behavioural change" : String.join("; ", parts);
    }
}
