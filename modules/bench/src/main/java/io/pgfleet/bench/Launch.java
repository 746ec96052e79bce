package io.pgfleet.bench;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How {@code ./pgfleet bench …} starts a benchmark: {@code Launch <main class> <options…>}. A bad
 * option (unknown, missing its value, not a number) is one clear line on standard error and exit 2,
 * not a stack trace; a benchmark that fails while running still shows where.
 *
 * <p>The benchmarks read their options at the top of their {@code main}; an
 * {@link IllegalArgumentException} (a {@link NumberFormatException} among them) or an index beyond
 * the arguments raised by {@code main} itself, or by a JDK call it makes directly, is such an option.
 */
public final class Launch {

    /** The exit code of a bad option, as for the operator CLI. */
    public static final int USAGE = 2;

    private static final Pattern NUMBER = Pattern.compile("For input string: \"(.*)\".*");

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
            Optional<String> bad = badOption(e.getCause(), benchmark, options);
            if (bad.isPresent()) {
                System.err.println("pgfleet bench: " + bad.get() + " (the options are in docs/benchmarks.md)");
                System.exit(USAGE);
            }
            throw e.getCause();
        }
    }

    /**
     * What is wrong with the options, when the benchmark failed on them.
     *
     * @param failure   what the benchmark's {@code main} threw
     * @param benchmark its class name
     * @param options   the options it was given
     * @return one line saying what is wrong; empty when the failure is not about the options
     */
    static Optional<String> badOption(Throwable failure, String benchmark, String[] options) {
        if (!(failure instanceof IllegalArgumentException || failure instanceof IndexOutOfBoundsException)) {
            return Optional.empty();
        }
        Optional<StackTraceElement> ours = Arrays.stream(failure.getStackTrace())
                .filter(f -> f.getClassName().startsWith("io.pgfleet.")).findFirst();
        if (ours.isEmpty() || !ours.get().getClassName().equals(benchmark) || !ours.get().getMethodName().equals("main")) {
            return Optional.empty();
        }
        if (failure instanceof IndexOutOfBoundsException) {
            return Optional.of(options.length == 0 ? "an option needs a value"
                    : options[options.length - 1] + " needs a value");
        }
        String message = Optional.ofNullable(failure.getMessage()).orElse("");
        Matcher number = NUMBER.matcher(message);
        if (failure instanceof NumberFormatException && number.matches()) {
            return Optional.of("not a number: '" + number.group(1) + "'");
        }
        if (message.startsWith("-") && !message.contains(" ")) {
            return Optional.of("unknown option " + message);
        }
        return Optional.of(message.isEmpty() ? "bad option" : message);
    }
}
