package io.pgfleet.bench;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Java heap in use, read from what {@code jcmd <pid> GC.heap_info} prints. Each collector
 * prints its own shape: G1 one heap line ({@code garbage-first heap total …, used 13383K}), Serial
 * and Parallel one line per generation ({@code DefNew total …, used …K} and {@code Tenured …}),
 * which add up, and ZGC one line in its own units ({@code ZHeap used 72M, capacity 378M, …}).
 * Metaspace and class-space lines are never heap.
 */
public final class HeapInfo {

    /** A generation's or G1's heap line: "… total … used 13383K …". */
    private static final Pattern GENERATION = Pattern.compile("\\btotal\\b.*?\\bused (\\d+)([KMG])\\b");
    /** ZGC's heap line: "ZHeap used 72M, capacity 378M, max capacity 6028M". */
    private static final Pattern Z_HEAP = Pattern.compile("^\\s*ZHeap\\s+used (\\d+)([KMG])\\b");

    private HeapInfo() {
    }

    /**
     * The heap in use in MiB, or empty when the output holds no heap line this parser knows (a
     * collector it has not seen, or jcmd's error message): a benchmark then says it cannot tell
     * rather than print 0.
     */
    public static OptionalDouble usedMiB(String heapInfo) {
        double kib = 0;
        boolean found = false;
        for (String line : heapInfo.split("\\R")) {
            if (line.contains("Metaspace") || line.contains("class space")) {
                continue;
            }
            Matcher z = Z_HEAP.matcher(line);
            Matcher g = GENERATION.matcher(line);
            if (z.find()) {
                kib += kib(z.group(1), z.group(2));
                found = true;
            } else if (g.find()) {
                kib += kib(g.group(1), g.group(2));
                found = true;
            }
        }
        return found ? OptionalDouble.of(kib / 1024.0) : OptionalDouble.empty();
    }

    private static double kib(String amount, String unit) {
        long n = Long.parseLong(amount);
        return switch (unit) {
            case "G" -> n * 1024.0 * 1024.0;
            case "M" -> n * 1024.0;
            default -> n;
        };
    }
}
