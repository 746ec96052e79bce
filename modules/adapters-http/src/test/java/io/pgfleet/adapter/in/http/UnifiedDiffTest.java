package io.pgfleet.adapter.in.http;

import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import com.github.difflib.patch.PatchFailedException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The diff's work is bounded, and the answer is a correct diff either way. */
class UnifiedDiffTest {

    private static List<String> lines(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + i).toList();
    }

    private static void assertTurnsInto(List<String> a, List<String> b, UnifiedDiff.Result diff) throws PatchFailedException {
        Patch<String> patch = UnifiedDiffUtils.parseUnifiedDiff(diff.text().lines().toList());
        assertEquals(b, patch.applyTo(a));
    }

    @Test
    void hugeUnrelatedRevisionsStopAtTheBoundAndStillDiffCorrectly() throws PatchFailedException {
        List<String> a = new ArrayList<>(List.of("[collector]"));
        a.addAll(lines("#a", 80_000));
        a.add("watch = true");
        List<String> b = new ArrayList<>(List.of("[collector]"));
        b.addAll(lines("#b", 80_000));
        b.add("watch = true");
        UnifiedDiff.Result diff = UnifiedDiff.between("a", "b", a, b);
        assertFalse(diff.minimal(), "the search was stopped at the work bound");
        assertTrue(diff.text().contains("@@ -1,80002 +1,80002 @@"), diff.text().substring(0, 200));
        assertTurnsInto(a, b, diff);
    }

    @Test
    void ordinaryEditsGetTheMinimalDiff() throws PatchFailedException {
        List<String> a = lines("line ", 5_000);
        List<String> b = new ArrayList<>(a);
        b.set(10, "changed");
        b.remove(2_000);
        b.add(4_000, "inserted");
        UnifiedDiff.Result diff = UnifiedDiff.between("a", "b", a, b);
        assertTrue(diff.minimal());
        assertEquals(3, diff.text().lines().filter(l -> l.startsWith("@@")).count(), diff.text());
        assertTurnsInto(a, b, diff);
        assertEquals(new UnifiedDiff.Result("", true), UnifiedDiff.between("a", "b", a, a));
    }

    @Test
    void pureInsertionsAndDeletionsAlsoFallBackCorrectly() throws PatchFailedException {
        List<String> a = lines("x", 50_000);
        List<String> b = new ArrayList<>(a);
        for (int i = 0; i < 50_000; i += 2) {
            b.set(i, "y" + i);
        }
        UnifiedDiff.Result diff = UnifiedDiff.between("a", "b", a, b);
        assertFalse(diff.minimal());
        assertTurnsInto(a, b, diff);
        assertTurnsInto(a, List.of(), UnifiedDiff.between("a", "b", a, List.of()));
        assertTurnsInto(List.of(), b, UnifiedDiff.between("a", "b", List.of(), b));
    }
}
