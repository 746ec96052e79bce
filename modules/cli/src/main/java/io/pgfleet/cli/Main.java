package io.pgfleet.cli;

/**
 * Entry point of {@code pgfleet-cli.jar}.
 */
public final class Main {

    private Main() {
    }

    /**
     * Runs one CLI command and exits with its {@link ExitCodes exit code}.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(PgfleetCli.run(args, System.getenv(), System.in, System.out, System.err));
    }
}
