package io.pgfleet.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;

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
        // The file descriptor itself, not System.out: a PrintStream swallows the error that says why
        // the output could not be written (PgfleetCli.run checks and reports it).
        System.exit(PgfleetCli.run(args, System.getenv(), System.in, new FileOutputStream(FileDescriptor.out),
                System.err));
    }
}
