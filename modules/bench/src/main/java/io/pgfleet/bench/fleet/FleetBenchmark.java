package io.pgfleet.bench.fleet;

import io.pgfleet.bench.BenchOptions;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code ./pgfleet bench fleet}: runs one or more scenarios of the fleet simulator and exits with
 * 1 when any of their checks fails.
 *
 * <pre>./pgfleet bench fleet [--agents 500] [--minutes 10] [--instances 2] [--scenario steady|all]
 *                     [--outage-seconds S] [--outage-at-seconds S] [--idle-limit 8] [--server-heap 384m] [--ramp-seconds 30]
 *                     [--out target/fleet]</pre>
 */
public final class FleetBenchmark {

    private FleetBenchmark() {
    }

    /**
     * Runs.
     *
     * @param args the options above, plus {@code --server-jar PATH} (the launcher passes it)
     * @throws Exception when a run could not be carried out
     */
    public static void main(String[] args) throws Exception {
        Options o = BenchOptions.parse(new Options(), args);
        if (o.help) {
            System.out.println("usage: bench fleet [--agents N] [--minutes M] [--instances K] [--scenario NAME|all]"
                    + " [--outage-seconds S] [--outage-at-seconds S] [--idle-limit R] [--server-heap 384m] [--ramp-seconds 30] [--out DIR]"
                    + "\nscenarios: "
                    + Scenario.names());
            return;
        }
        int agents = o.agents;
        double minutes = o.minutes;
        int instances = o.instances;
        List<Scenario> scenarios = o.scenarios.list();
        Path jar = o.jar;
        Path out = o.out;
        Duration outage = o.outageSeconds == null ? null : Duration.ofSeconds(o.outageSeconds);
        int idleLimit = o.idleLimit;
        String heap = o.heap;
        Duration ramp = Duration.ofSeconds(o.rampSeconds);
        boolean passed = true;
        for (Scenario s : scenarios) {
            Duration planned = outage != null ? outage
                    : s == Scenario.TIER_AWAY ? Duration.ofSeconds((long) Math.min(600, minutes * 60 / 3))
                    : Duration.ofSeconds(30);
            FleetReport report = FleetSimulation.run(new FleetSimulation.Options(agents, minutes, instances, s, jar, out,
                    planned, idleLimit, heap, ramp,
                    Optional.ofNullable(o.outageAtSeconds).map(Duration::ofSeconds)));
            System.out.println();
            System.out.println(report.markdown());
            System.out.println("(report: " + out.resolve(s.cliName() + ".md") + " and .json)");
            passed &= report.passed();
        }
        if (!passed) {
            System.exit(1);
        }
    }

    /** The options, with their defaults; the outage's length, when not given, follows from the scenario. */
    private static final class Options {
        @Option(names = "--agents")
        int agents = 500;
        @Option(names = "--minutes")
        double minutes = 10;
        @Option(names = "--instances")
        int instances = 2;
        @Option(names = "--scenario", converter = ScenarioChoice.class)
        Scenarios scenarios = new Scenarios(List.of(Scenario.STEADY));
        @Option(names = "--server-jar", required = true)
        Path jar;
        @Option(names = "--out")
        Path out = Path.of("target", "fleet");
        @Option(names = "--outage-seconds")
        Long outageSeconds;
        /** When the outage starts, in seconds after the fleet has started (default: the scenario's own point). */
        @Option(names = "--outage-at-seconds")
        Long outageAtSeconds;
        @Option(names = "--idle-limit")
        int idleLimit = 8;
        @Option(names = "--server-heap")
        String heap = "384m";
        @Option(names = "--ramp-seconds")
        long rampSeconds = 30;
        @Option(names = {"-h", "--help"}, usageHelp = true)
        boolean help;
    }

    /** The scenarios to run one after the other. */
    private record Scenarios(List<Scenario> list) {
    }

    /** {@code --scenario NAME|all}. */
    private static final class ScenarioChoice implements CommandLine.ITypeConverter<Scenarios> {
        @Override
        public Scenarios convert(String name) {
            if (name.equals("all")) {
                return new Scenarios(List.of(Scenario.values()));
            }
            try {
                return new Scenarios(List.of(Scenario.of(name)));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
