package io.pgfleet.bench;

import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A benchmark's options, read by picocli into an object whose fields carry {@link CommandLine.Option}
 * annotations and hold the defaults. What picocli refuses becomes a {@link BadOption} with one line
 * that says what is wrong, which {@link Launch} prints before exiting 2.
 *
 * <p>An option given twice keeps its last value: the launcher passes its own {@code --server-jar} (and
 * the fleet simulator's {@code --out}) before the operator's options, which may name another.
 */
public final class BenchOptions {

    /** How a list option's values are separated: {@code --watchers 100,1000, 5000}. */
    public static final String COMMAS = "\\s*,\\s*";

    private static final Set<Class<?>> NUMBERS = Set.of(int.class, long.class, double.class, Integer.class, Long.class,
            Double.class);

    private BenchOptions() {
    }

    /**
     * Reads {@code args} into {@code options}.
     *
     * @param options an object whose annotated fields take the options, holding their defaults
     * @param args    the benchmark's arguments
     * @param <T>     the options' type
     * @return {@code options}, filled in
     * @throws HelpRequested when {@code args} hold {@code --help}
     * @throws BadOption when an option is unknown, lacks its value, has a value of the wrong kind, or
     *                   a required one is missing
     */
    public static <T> T parse(T options, String... args) {
        if (List.of(args).contains("--help")) {
            CommandLine usage = new CommandLine(options);
            usage.getCommandSpec().usageMessage().showDefaultValues(true).autoWidth(false).width(100);
            usage.setCommandName(options.getClass().getName().replaceAll("^.*\\.|\\$.*$", ""));
            throw new HelpRequested(usage.getUsageMessage());
        }
        try {
            // No @file expansion: "--server-opts @deploy/pgfleet-server.jvm.options" hands the JVM its
            // own argument file, which picocli would otherwise open and splice in as benchmark options.
            new CommandLine(options).setOverwrittenOptionsAllowed(true).setExpandAtFiles(false).parseArgs(args);
            return options;
        } catch (ParameterException e) {
            throw new BadOption(describe(e, List.of(args)), e);
        }
    }

    /** One line for what picocli refused, in the words the benchmarks have always used. */
    private static String describe(ParameterException e, List<String> args) {
        // An unknown option first: it is often a misspelt one, which a "required" line would hide.
        List<String> unmatched = e.getCommandLine().getUnmatchedArguments();
        if (!unmatched.isEmpty()) {
            String first = unmatched.getFirst();
            return first.startsWith("-") ? "unknown option " + first : "unexpected argument '" + first + "'";
        }
        if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()) {
            return missing.getMissing().stream().map(spec -> {
                String name = name(spec);
                return args.contains(name) ? name + " needs a value" : name + " is required";
            }).collect(Collectors.joining("; "));
        }
        if (e.getCause() instanceof TypeConversionException conversion && e.getArgSpec() instanceof OptionSpec option) {
            boolean number = NUMBERS.contains(option.type())
                    || Arrays.stream(option.auxiliaryTypes()).anyMatch(NUMBERS::contains);
            return number ? "not a number: '" + e.getValue() + "'" : option.longestName() + " " + conversion.getMessage();
        }
        return e.getMessage();
    }

    /**
     * The words of an option that carries several, such as a JVM's options in one argument.
     *
     * @param value the option's value, its words separated by white space
     * @return its words
     */
    public static List<String> words(String value) {
        return List.of(value.trim().split("\\s+"));
    }

    private static String name(ArgSpec spec) {
        return spec instanceof OptionSpec option ? option.longestName() : spec.paramLabel();
    }

    /** {@code --help}: the benchmark does not run; the message is its options with their defaults. */
    public static final class HelpRequested extends RuntimeException {

        private static final long serialVersionUID = 1L;

        HelpRequested(String usage) {
            super(usage, null, false, false);
        }
    }

    /** Options that a benchmark cannot run with; the message is one line meant for the operator. */
    public static final class BadOption extends RuntimeException {

        private static final long serialVersionUID = 1L;

        BadOption(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
