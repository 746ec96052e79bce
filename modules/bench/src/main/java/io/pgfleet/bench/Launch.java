package io.pgfleet.bench;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * How {@code ./pgfleet bench …} starts a benchmark: {@code Launch <main class> <options…>}. A bad
 * option (unknown, missing its value, not a number, a required one absent) is one clear line on
 * standard error and exit 2, not a stack trace; a benchmark that fails while running still shows where.
 *
 * <p>Each benchmark reads its options through {@link BenchOptions}, which alone decides what a bad
 * option is: it raises {@link BenchOptions.BadOption}, and nothing else is taken for one.
 */
public final class Launch {

    /** The exit code of a bad option, as for the operator CLI. */
    public static final int USAGE = 2;

    private Launch() {
    }

    /**
     * Runs a benchmark's {@code main}.
     *
     * @param args the benchmark's class name, then its options
     * @throws Throwable what the benchmark throws while running
     */
    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("pgfleet bench: which benchmark?");
            System.exit(USAGE);
        }
        String benchmark = args[0];
        String[] options = Arrays.copyOfRange(args, 1, args.length);
        try {
            Class.forName(benchmark).getMethod("main", String[].class).invoke(null, (Object) options);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof BenchOptions.HelpRequested help) {
                System.out.print(help.getMessage());
                System.out.println("(what each option does: docs/benchmarks.md)");
                System.exit(0);
            }
            if (e.getCause() instanceof BenchOptions.BadOption bad) {
                System.err.println("pgfleet bench: " + bad.getMessage() + " (the options are in docs/benchmarks.md)");
                System.exit(USAGE);
            }
            throw e.getCause();
        }
    }
}
