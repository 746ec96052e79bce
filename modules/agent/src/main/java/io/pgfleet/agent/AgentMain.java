package io.pgfleet.agent;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.nio.file.Path;

/**
 * Starts the agent: {@code java -jar pgfleet-agent.jar --config agent.toml}.
 */
public final class AgentMain {

    private AgentMain() {
    }

    /**
     * Entry point.
     *
     * @param args {@code --config FILE}
     * @throws InterruptedException when interrupted while running
     */
    public static void main(String[] args) throws InterruptedException {
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                config = Path.of(args[++i]);
            } else if (args[i].equals("-h") || args[i].equals("--help")) {
                System.out.println(USAGE);
                return;
            } else {
                fail("unknown argument '" + args[i] + "'");
            }
        }
        if (config == null) {
            fail("--config FILE is required");
        }
        LocalSettings settings;
        try {
            settings = LocalSettings.read(config);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return;
        }
        Agent agent;
        try {
            agent = new Agent(settings, System.out);
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            System.err.println("pgfleet-agent: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(agent::close, "agent-shutdown"));
        hangUpPulls(agent, config, settings);
        agent.start();
        // Runs until SIGTERM (the hook stops it), or until it must stop by itself: then stopped by the
        // same hook, with the status of an agent refused at start (it said why in its log).
        agent.awaitOwnStop();
        System.exit(2);
    }

    /**
     * SIGHUP makes the agent pull at once, ending a watch in progress ({@link Agent#pullNow()}). A
     * process that inherited SIGHUP ignored (started under {@code nohup}) keeps ignoring it: the JVM
     * installs no handler then and answers the old disposition, SIG_IGN. Nothing else would tell the operator why {@code kill -HUP} does nothing.
     * The local file is read only at start: a SIGHUP that finds it edited says so
     * ({@link LocalSettings#changedOnDisk(Path)}), since {@code systemctl reload} is what an operator
     * who just edited it tries first.
     */
    private static void hangUpPulls(Agent agent, Path config, LocalSettings settings) {
        try {
            SignalHandler old = Signal.handle(new Signal("HUP"), s -> {
                agent.pullNow();
                settings.changedOnDisk(config).ifPresent(agent::log);
            });
            if (old == SignalHandler.SIG_IGN) {
                agent.log(HANGUP_IGNORED);
            }
        } catch (IllegalArgumentException e) {
            // -Xrs: the JVM keeps SIGHUP for itself; the agent runs on without it.
            agent.log("SIGHUP cannot be used in this JVM (" + e.getMessage() + ", -Xrs?): " + HANGUP_REMEDY);
        }
    }

    private static final String HANGUP_REMEDY = "kill -HUP and systemctl reload do nothing here. Configuration "
            + "changes still arrive through the watch (or the next poll, config_pull_interval) and an enrolment token "
            + "is still looked for every 60 s; SIGHUP only makes the agent ask at once";

    private static final String HANGUP_IGNORED = "warning: SIGHUP is ignored by this process (started under nohup, or "
            + "by a parent that ignores SIGHUP), so " + HANGUP_REMEDY + ". To have it, start the agent without nohup: "
            + "under systemd (deploy/pgfleet-agent.service), or detached with setsid and its output redirected";

    private static final String USAGE = """
            usage: pgfleet-agent --config FILE
              FILE is the agent's local TOML file: server_url, name, labels, registration_secret_file or
              enrolment_token_file, state_dir, [tls] ca_file/cert_file/key_file, buffer_samples,
              allowed_password_dirs, allowed_password_env, allowed_hosts, [metrics] enabled/host/port
              (the agent's own metrics at http://HOST:PORT/metrics; off by default).
              PGFLEET_ENROLMENT_TOKEN: a one-time enrolment token when the file names no token file.
              SIGHUP pulls the configuration at once, ending a watch in progress (and looks for
              a new enrolment token); FILE is read only at start (SIGHUP says when it changed);
              SIGTERM stops the agent.""";

    private static void fail(String message) {
        System.err.println("pgfleet-agent: " + message);
        System.err.println(USAGE);
        System.exit(2);
    }
}
