package io.pgfleet.bench;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How the benchmarks start the pgfleet server under test: the shipped jar as its own process on this
 * JVM's {@code java}, on loopback, against the benchmark's database, with a known admin password.
 * What a benchmark measures stays in the benchmark; only the start-up is here.
 */
public final class BenchServer {

    /** The admin password every benchmark's server is started with. */
    public static final String ADMIN_PASSWORD = "bench-admin-password";

    private static final Pattern READY = Pattern.compile("pgfleet server ready");

    private BenchServer() {
    }

    /**
     * The {@code java} command of this JVM.
     *
     * @return its path
     */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * A port free now on the loopback address, where the servers under test listen.
     *
     * @return the port
     * @throws IOException when no port can be had
     */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * The settings a benchmark's server needs, which the caller may add to: the database, {@code
     * 127.0.0.1:port}, the admin password, a pool of 16 connections (the product's default, stated so
     * that a change of default does not move the figures) and its own data directory.
     *
     * @param db      the database
     * @param port    the port to listen on
     * @param dataDir the server's data directory
     * @return the environment, in a map the caller may change
     */
    public static Map<String, String> env(DatabaseSettings db, int port, Path dataDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PGFLEET_DB_URL", db.url());
        env.put("PGFLEET_DB_USER", db.user());
        env.put("PGFLEET_DB_PASSWORD", db.password());
        env.put("PGFLEET_PORT", Integer.toString(port));
        env.put("PGFLEET_HOST", "127.0.0.1");
        env.put("PGFLEET_ADMIN_PASSWORD", ADMIN_PASSWORD);
        env.put("PGFLEET_DB_POOL_SIZE", "16");
        env.put("PGFLEET_DATA_DIR", dataDir.toString());
        return env;
    }

    /**
     * Starts etcd, the benchmarks' anchor, as a one-member cluster on loopback.
     *
     * @param command its command ({@code /usr/bin/etcd})
     * @param dataDir its data directory
     * @return the running etcd
     * @throws Exception when it does not start
     */
    public static Etcd etcd(String command, Path dataDir) throws Exception {
        int port = freePort();
        int peer = freePort();
        Process p = Proc.start(List.of(command, "--name", "bench", "--data-dir", dataDir.toString(),
                        "--listen-client-urls", "http://127.0.0.1:" + port,
                        "--advertise-client-urls", "http://127.0.0.1:" + port,
                        "--listen-peer-urls", "http://127.0.0.1:" + peer,
                        "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                        "--initial-cluster", "bench=http://127.0.0.1:" + peer),
                Map.of(), Pattern.compile("ready to serve client requests"), "etcd");
        return new Etcd(p, "http://127.0.0.1:" + port);
    }

    /**
     * A running etcd.
     *
     * @param process  its process
     * @param endpoint the address its clients connect to
     */
    public record Etcd(Process process, String endpoint) {
    }

    /**
     * Starts {@code java <jvmOptions> -jar <jar>} and waits until the server says it is ready.
     *
     * @param jar        the server jar
     * @param jvmOptions the JVM's options (the heap among them); empty ones are left out
     * @param env        its environment, see {@link #env}
     * @param name       what to call it when it does not start
     * @return the running server
     * @throws Exception when it does not start
     */
    public static Process start(Path jar, List<String> jvmOptions, Map<String, String> env, String name) throws Exception {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions.stream().filter(o -> !o.isEmpty()).toList());
        command.addAll(List.of("-jar", jar.toString()));
        return Proc.start(command, env, READY, name);
    }
}
