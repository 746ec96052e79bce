package io.pgfleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code pgfleet fleet …}: the fleet layer, the partial configuration every collector inherits
 * (under its groups' layers and its own document).
 */
@Command(name = "fleet", mixinStandardHelpOptions = true,
        description = {"Read, publish, compare and roll back the fleet layer: the partial configuration every collector "
                + "inherits, under its groups' layers and its own document (docs/configuration.md, Layers)."},
        subcommands = {FleetCommand.Get.class, FleetCommand.Put.class, FleetCommand.History.class,
                FleetCommand.Diff.class, FleetCommand.Rollback.class})
final class FleetCommand {

    private FleetCommand() {
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print the fleet layer's document.")
    static final class Get extends LayerCommands.Get {
        Get(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Publish a partial document as the fleet layer's next version.",
                    "Exit 0 when published (or identical to the latest), 2 when refused (the layer's errors as "
                            + "FILE:line:column, or the collectors it would make invalid), 3 when --if-match/--expect-version "
                            + "is stale."})
    static final class Put extends LayerCommands.Put {
        @Parameters(index = "0", paramLabel = "FILE", description = "the TOML document, '-' for standard input")
        String file;

        Put(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true, description = "List the fleet layer's versions, newest first.")
    static final class History extends LayerCommands.History {
        History(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = "Unified diff of the fleet layer from version A to version B (empty when they are equal).")
    static final class Diff extends LayerCommands.Diff {
        @Parameters(index = "0", paramLabel = "A", description = "from this version")
        int from;

        @Parameters(index = "1", paramLabel = "B", description = "to this version")
        int to;

        Diff(Context ctx) {
            super(ctx);
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true,
            description = "Publish version V of the fleet layer again as a new version (source rollback:V).")
    static final class Rollback extends LayerCommands.Rollback {
        @Parameters(index = "0", paramLabel = "V", description = "the version to go back to")
        int version;

        Rollback(Context ctx) {
            super(ctx);
        }
    }
}
