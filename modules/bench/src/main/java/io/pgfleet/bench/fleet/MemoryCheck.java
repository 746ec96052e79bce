package io.pgfleet.bench.fleet;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether one process's memory stayed flat: the decision of check 6, apart from how the figures
 * were taken so that it can be tested on its own.
 *
 * <p>A server instance is judged on its <em>live</em> heap, the heap in use right after a full
 * collection ({@code jcmd GC.run}, then {@code GC.heap_info}), looked at a quarter into its life
 * and at the end: it fails when the end is above the quarter by more than {@link #GROWTH_FACTOR}
 * + {@link #GROWTH_ALLOWANCE_MIB}. Its RSS is reported and bounded, not compared with its start:
 * a JVM's RSS grows with the heap it commits as it goes towards {@code -Xmx} before it collects old
 * garbage, which is no leak; it fails only above {@code -Xmx} + {@link #NATIVE_ALLOWANCE_MIB}
 * (metaspace, code cache, thread stacks, GC and NIO buffers). A server life without both live
 * looks (killed before the end, or jcmd could not attach) is judged on its RSS growth as before,
 * as is PostgreSQL on its PSS.
 */
final class MemoryCheck {

    /** How much the level after warm-up may grow by the end, as a factor ... */
    static final double GROWTH_FACTOR = 1.3;
    /** ... plus this many MiB. */
    static final double GROWTH_ALLOWANCE_MIB = 64;
    /** What a server JVM may hold outside its heap: its RSS bound is {@code -Xmx} plus this. */
    static final double NATIVE_ALLOWANCE_MIB = 256;

    private MemoryCheck() {
    }

    /**
     * Which look gives a life's warm level: the first one from a quarter into the life on that is
     * not inside a planned outage or the settling after it. A look taken while the tier is away
     * sees PostgreSQL without its server connections (28 MiB where it holds 220 with them), which
     * would make any level after the return look like growth; a life with no such look falls back
     * to the quarter.
     *
     * @param atMillis  when each look was taken, in order
     * @param outages   planned outages, each {@code {start, end}} in the same clock, end including settling
     * @return the index of the warm look
     */
    static int warmIndex(long[] atMillis, long[][] outages) {
        int quarter = atMillis.length / 4;
        for (int i = quarter; i < atMillis.length; i++) {
            long at = atMillis[i];
            boolean inside = false;
            for (long[] o : outages) {
                inside |= at >= o[0] && at <= o[1];
            }
            if (!inside) {
                return i;
            }
        }
        return quarter;
    }

    /** One process life's verdict; {@code detail} names the figures it was decided on. */
    record Verdict(boolean flat, String detail) {
    }

    /**
     * A server instance's life.
     *
     * @param rssWarm     RSS a quarter into the life, MiB
     * @param rssEnd      RSS at the last look, MiB
     * @param liveQuarter live heap after a full GC a quarter into the life, MiB, when taken
     * @param liveEnd     live heap after a full GC at the end, MiB, when taken
     * @param xmxMiB      the instance's {@code -Xmx}, MiB
     */
    static Verdict server(double rssWarm, double rssEnd, Optional<Double> liveQuarter, Optional<Double> liveEnd,
                          double xmxMiB) {
        double rssBound = xmxMiB + NATIVE_ALLOWANCE_MIB;
        if (liveQuarter.isPresent() && liveEnd.isPresent()) {
            double q = liveQuarter.get();
            double e = liveEnd.get();
            boolean liveFlat = !grew(q, e);
            boolean rssBounded = rssEnd <= rssBound;
            return new Verdict(liveFlat && rssBounded, "live heap " + f(q) + " → " + f(e) + " MiB (limit " + f(limit(q))
                    + ")" + (liveFlat ? "" : " GROWING") + ", RSS " + f(rssWarm) + " → " + f(rssEnd) + " MiB (bound "
                    + f(rssBound) + ")" + (rssBounded ? "" : " ABOVE BOUND"));
        }
        boolean flat = !grew(rssWarm, rssEnd) && rssEnd <= rssBound;
        return new Verdict(flat, "no live-heap looks; RSS " + f(rssWarm) + " → " + f(rssEnd) + " MiB (limit "
                + f(Math.min(limit(rssWarm), rssBound)) + ")" + (flat ? "" : " GROWING"));
    }

    /** PostgreSQL (all backends' PSS) or any process judged on one measure's growth. */
    static Verdict growth(String measure, double warm, double end) {
        boolean flat = !grew(warm, end);
        return new Verdict(flat, measure + " " + f(warm) + " → " + f(end) + " MiB (limit " + f(limit(warm)) + ")"
                + (flat ? "" : " GROWING"));
    }

    /** {@code -Xmx} as the server tier passes it ({@code 384m}, {@code 1g}, {@code 786432k}), in MiB. */
    static double xmxMiB(String xmx) {
        String s = xmx.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty -Xmx");
        }
        char unit = s.charAt(s.length() - 1);
        if (Character.isDigit(unit)) {
            return Long.parseLong(s) / 1048576.0;
        }
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        return switch (unit) {
            case 'k' -> n / 1024.0;
            case 'm' -> n;
            case 'g' -> n * 1024.0;
            default -> throw new IllegalArgumentException("-Xmx unit not understood: " + xmx);
        };
    }

    private static boolean grew(double warm, double end) {
        return end > limit(warm);
    }

    private static double limit(double warm) {
        return warm * GROWTH_FACTOR + GROWTH_ALLOWANCE_MIB;
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }
}
