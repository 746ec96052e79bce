package io.pgfleet.bench.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./pgfleet bench fleet}: runs one or more scenarios of the fleet simulator and exits with
 * 1 when any of their checks fails.
 *
 * <pre>./pgfleet bench fleet [--agents 500] [--minutes 10] [--instances 2] [--scenario steady|all]
 *                     [--outage-seconds S] [--idle-limit 8] [--server-heap 384m] [--ramp-seconds 30]
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
        int agents = 500;
        double minutes = 10;
        int instances = 2;
        List<Scenario> scenarios = new ArrayList<>(List.of(Scenario.STEADY));
        Path jar = null;
        Path out = Path.of("target", "fleet");
        Duration outage = null;
        int idleLimit = 8;
        String heap = "384m";
        Duration ramp = Duration.ofSeconds(30);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--agents" -> agents = Integer.parseInt(args[++i]);
                case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                case "--instances" -> instances = Integer.parseInt(args[++i]);
                case "--scenario" -> {
                    String s = args[++i];
                    scenarios = s.equals("all") ? List.of(Scenario.values()) : List.of(Scenario.of(s));
                }
                case "--server-jar" -> jar = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--outage-seconds" -> outage = Duration.ofSeconds(Long.parseLong(args[++i]));
                case "--idle-limit" -> idleLimit = Integer.parseInt(args[++i]);
                case "--server-heap" -> heap = args[++i];
                case "--ramp-seconds" -> ramp = Duration.ofSeconds(Long.parseLong(args[++i]));
                case "-h", "--help" -> {
                    System.out.println("usage: bench fleet [--agents N] [--minutes M] [--instances K] [--scenario NAME|all]"
                            + " [--outage-seconds S] [--idle-limit R] [--server-heap 384m] [--ramp-seconds 30] [--out DIR]"
                            + "\nscenarios: "
                            + Scenario.names());
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (jar == null) {
            throw new IllegalArgumentException("--server-jar is required");
        }
        boolean passed = true;
        for (Scenario s : scenarios) {
            Duration planned = outage != null ? outage
                    : s == Scenario.TIER_AWAY ? Duration.ofSeconds((long) Math.min(600, minutes * 60 / 3))
                    : Duration.ofSeconds(30);
            FleetReport report = FleetSimulation.run(new FleetSimulation.Options(agents, minutes, instances, s, jar, out,
                    planned, idleLimit, heap, ramp));
            System.out.println();
            System.out.println(report.markdown());
            System.out.println("(report: " + out.resolve(s.cliName() + ".md") + " and .json)");
            passed &= report.passed();
        }
        if (!passed) {
            System.exit(1);
        }
    }
}
