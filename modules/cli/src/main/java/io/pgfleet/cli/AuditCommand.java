package io.pgfleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code pgfleet audit}: who did what, when, from where (admin only). */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Read the audit trail, newest first (admin only).")
final class AuditCommand implements Callable<Integer> {

    @Option(names = "--since", paramLabel = "WHEN",
            description = "an RFC 3339 instant (2026-11-30T08:00:00Z) or an age (90s, 15m, 2h, 7d)")
    String since;

    @Option(names = "--until", paramLabel = "WHEN", description = "an RFC 3339 instant or an age")
    String until;

    @Option(names = "--collector", paramLabel = "ID", description = "only entries about this collector")
    String collector;

    @Option(names = "--actor", description = "only entries by this user or collector")
    String actor;

    @Option(names = "--action", description = "collector.create, config.publish, config.rollback, …")
    String action;

    @Option(names = "--limit", defaultValue = "100", description = "at most this many (1-1000, default ${DEFAULT-VALUE})")
    int limit;

    private final Context ctx;

    AuditCommand(Context ctx) {
        this.ctx = ctx;
    }

    static Instant instant(String when, Instant now) {
        String w = when.trim().toLowerCase(Locale.ROOT);
        if (w.matches("\\d+[smhd]")) {
            long n = Long.parseLong(w.substring(0, w.length() - 1));
            Duration d = switch (w.charAt(w.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return now.minus(d);
        }
        try {
            return Instant.parse(when.trim());
        } catch (DateTimeParseException e) {
            throw new CliException(ExitCodes.USAGE, "'" + when + "' is neither an RFC 3339 instant nor an age like 15m");
        }
    }

    @Override
    public Integer call() {
        Instant now = Instant.now();
        StringBuilder q = new StringBuilder("/api/v1/audit?limit=").append(limit);
        if (since != null) {
            q.append("&since=").append(ServerApi.encode(instant(since, now).toString()));
        }
        if (until != null) {
            q.append("&until=").append(ServerApi.encode(instant(until, now).toString()));
        }
        if (collector != null) {
            q.append("&collector_id=").append(ServerApi.encode(collector));
        }
        if (actor != null) {
            q.append("&actor=").append(ServerApi.encode(actor));
        }
        if (action != null) {
            q.append("&action=").append(ServerApi.encode(action));
        }
        JsonNode answer = ctx.api().call(ServerApi.Call.get(q.toString())).json();
        ctx.output().list(answer, answer.path("entries"), List.of(Output.Column.of("AT", "at"),
                Output.Column.of("ACTOR", "actor"), Output.Column.of("ADDRESS", "address"),
                Output.Column.of("ACTION", "action"), Output.Column.of("COLLECTOR", "collector_id"),
                Output.Column.of("USER", "username"), Output.Column.of("VERSION", "version"),
                Output.Column.of("DETAIL", "detail")));
        return ExitCodes.OK;
    }
}
