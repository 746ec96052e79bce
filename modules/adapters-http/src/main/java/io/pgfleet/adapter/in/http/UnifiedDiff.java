package io.pgfleet.adapter.in.http;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import io.pgfleet.domain.config.ConfigRevision;

import java.util.List;

/** Unified diff (as {@code diff -u}) between two revisions, with java-diff-utils. */
final class UnifiedDiff {

    private static final int CONTEXT_LINES = 3;

    private UnifiedDiff() {
    }

    static String between(ConfigRevision from, ConfigRevision to) {
        List<String> a = from.document().text().lines().toList();
        List<String> b = to.document().text().lines().toList();
        Patch<String> patch = DiffUtils.diff(a, b);
        List<String> lines = UnifiedDiffUtils.generateUnifiedDiff(
                from.collectorId() + " version " + from.version(),
                to.collectorId() + " version " + to.version(), a, patch, CONTEXT_LINES);
        if (lines.isEmpty()) {
            return "";
        }
        return String.join("\n", lines) + "\n";
    }
}
