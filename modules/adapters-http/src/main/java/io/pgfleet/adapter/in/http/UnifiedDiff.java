package io.pgfleet.adapter.in.http;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.algorithm.DiffAlgorithmListener;
import com.github.difflib.patch.ChangeDelta;
import com.github.difflib.patch.Chunk;
import com.github.difflib.patch.DeleteDelta;
import com.github.difflib.patch.InsertDelta;
import com.github.difflib.patch.Patch;
import io.pgfleet.domain.config.ConfigRevision;

import java.util.List;

/**
 * Unified diff (as {@code diff -u}) between two revisions, with java-diff-utils, in bounded work.
 *
 * <p>Myers' algorithm costs about (lines of both) × (edit distance) steps and as much memory per
 * step; two large, unrelated revisions would keep a CPU busy for minutes. The search is stopped
 * once that product would pass {@link #WORK_BUDGET}; the answer is then still a correct diff (it
 * turns the first revision into the second) but not a minimal one: everything between the common
 * head and the common tail is shown as one replacement.
 */
final class UnifiedDiff {

    /** Line comparisons allowed for the minimal diff, about 50 ms of work. */
    static final long WORK_BUDGET = 1_000_000;

    private static final int CONTEXT_LINES = 3;

    /**
     * A diff.
     *
     * @param text    the unified diff, empty when the revisions are equal
     * @param minimal false when the work bound was reached and the change is one replacement
     */
    record Result(String text, boolean minimal) {
    }

    private UnifiedDiff() {
    }

    static Result between(ConfigRevision from, ConfigRevision to) {
        return between(from.collectorId() + " version " + from.version(), to.collectorId() + " version " + to.version(),
                from.document().text().lines().toList(), to.document().text().lines().toList());
    }

    static Result between(String fromName, String toName, List<String> a, List<String> b) {
        long maxSteps = Math.max(1, WORK_BUDGET / Math.max(1, a.size() + b.size()));
        Patch<String> patch;
        boolean minimal = true;
        try {
            patch = DiffUtils.diff(a, b, new Budget(maxSteps));
        } catch (BudgetExceeded e) {
            patch = oneReplacement(a, b);
            minimal = false;
        }
        List<String> lines = UnifiedDiffUtils.generateUnifiedDiff(fromName, toName, a, patch, CONTEXT_LINES);
        return new Result(lines.isEmpty() ? "" : String.join("\n", lines) + "\n", minimal);
    }

    /** Everything between the common head and tail replaced at once: linear work. */
    private static Patch<String> oneReplacement(List<String> a, List<String> b) {
        int head = 0;
        while (head < a.size() && head < b.size() && a.get(head).equals(b.get(head))) {
            head++;
        }
        int tail = 0;
        while (tail < a.size() - head && tail < b.size() - head
                && a.get(a.size() - 1 - tail).equals(b.get(b.size() - 1 - tail))) {
            tail++;
        }
        Chunk<String> removed = new Chunk<>(head, a.subList(head, a.size() - tail));
        Chunk<String> added = new Chunk<>(head, b.subList(head, b.size() - tail));
        Patch<String> patch = new Patch<>();
        if (removed.size() > 0 && added.size() > 0) {
            patch.addDelta(new ChangeDelta<>(removed, added));
        } else if (removed.size() > 0) {
            patch.addDelta(new DeleteDelta<>(removed, added));
        } else if (added.size() > 0) {
            patch.addDelta(new InsertDelta<>(removed, added));
        }
        return patch;
    }

    /** Stops Myers' search after a number of edit steps. */
    private record Budget(long maxSteps) implements DiffAlgorithmListener {
        @Override
        public void diffStart() {
        }

        @Override
        public void diffStep(int value, int max) {
            if (value > maxSteps) {
                throw new BudgetExceeded();
            }
        }

        @Override
        public void diffEnd() {
        }
    }

    private static final class BudgetExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetExceeded() {
            super(null, null, false, false);
        }
    }
}
