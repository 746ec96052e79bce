package io.pgfleet.server;

import static io.pgfleet.toml.TomlValueKinds.kind;

import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.domain.fleet.SampleRate;
import io.pgfleet.application.port.in.WarmUpUseCase;
import io.pgfleet.application.service.RetentionSettings;
import io.pgfleet.application.service.SecuritySettings;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The server's settings: from its TOML config file, each overridden by an environment variable.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>file key</th><th>environment</th><th>default</th></tr>
 *   <tr><td>port</td><td>PGFLEET_PORT</td><td>8080</td></tr>
 *   <tr><td>host</td><td>PGFLEET_HOST</td><td>0.0.0.0</td></tr>
 *   <tr><td>data_dir</td><td>PGFLEET_DATA_DIR</td><td>./pgfleet-data</td></tr>
 *   <tr><td>db_url</td><td>PGFLEET_DB_URL</td><td>none: embedded PostgreSQL</td></tr>
 *   <tr><td>db_user</td><td>PGFLEET_DB_USER</td><td>postgres</td></tr>
 *   <tr><td>db_password</td><td>PGFLEET_DB_PASSWORD</td><td>empty</td></tr>
 *   <tr><td>db_pool_size</td><td>PGFLEET_DB_POOL_SIZE</td><td>16</td></tr>
 *   <tr><td>db_statement_timeout</td><td>PGFLEET_DB_STATEMENT_TIMEOUT</td><td>30 (seconds the database may take to
 *   answer one statement)</td></tr>
 *   <tr><td>admin_password</td><td>PGFLEET_ADMIN_PASSWORD</td><td>generated on first start, printed once</td></tr>
 *   <tr><td>registration_secret</td><td>PGFLEET_REGISTRATION_SECRET</td><td>generated on first start, printed once</td></tr>
 *   <tr><td>access_token_ttl</td><td>PGFLEET_ACCESS_TOKEN_TTL</td><td>900 (seconds)</td></tr>
 *   <tr><td>tls_cert, tls_key</td><td>PGFLEET_TLS_CERT, PGFLEET_TLS_KEY</td><td>none (PEM)</td></tr>
 *   <tr><td>tls_keystore, tls_keystore_password</td><td>PGFLEET_TLS_KEYSTORE, PGFLEET_TLS_KEYSTORE_PASSWORD</td><td>none (PKCS#12)</td></tr>
 *   <tr><td>tls_client_ca</td><td>PGFLEET_TLS_CLIENT_CA</td><td>none; set it to require client certificates (mTLS)</td></tr>
 *   <tr><td>retention_samples_days</td><td>PGFLEET_RETENTION_SAMPLES_DAYS</td><td>14 (1..36500)</td></tr>
 *   <tr><td>retention_sample_batches_days</td><td>PGFLEET_RETENTION_SAMPLE_BATCHES_DAYS</td><td>2 (1..36500)</td></tr>
 *   <tr><td>retention_tokens_days</td><td>PGFLEET_RETENTION_TOKENS_DAYS</td><td>7 (after use, supersession or expiry; 1..36500)</td></tr>
 *   <tr><td>retention_purge_interval</td><td>PGFLEET_RETENTION_PURGE_INTERVAL</td><td>3600 (seconds, 1..86400)</td></tr>
 *   <tr><td>retention_batch_size</td><td>PGFLEET_RETENTION_BATCH_SIZE</td><td>1000 (rows per delete)</td></tr>
 *   <tr><td>retention_keep_versions</td><td>PGFLEET_RETENTION_KEEP_VERSIONS</td><td>1000 (newest versions of each configuration; 0 keeps all)</td></tr>
 *   <tr><td>retention_audit_days</td><td>PGFLEET_RETENTION_AUDIT_DAYS</td><td>400 (also finished rollouts, deleted groups, decommissioned collectors' history; 0 keeps every entry)</td></tr>
 *   <tr><td>refresh_reuse_grace</td><td>PGFLEET_REFRESH_REUSE_GRACE</td><td>30 (seconds, 0..300)</td></tr>
 *   <tr><td>access_token_clock_skew</td><td>PGFLEET_ACCESS_TOKEN_CLOCK_SKEW</td><td>30 (seconds, 0..300)</td></tr>
 *   <tr><td>rollout_tick_ms</td><td>PGFLEET_ROLLOUT_TICK_MS</td><td>1000 (how often rollouts are driven)</td></tr>
 *   <tr><td>rollout_lease</td><td>PGFLEET_ROLLOUT_LEASE</td><td>15 (seconds; another instance takes over after)</td></tr>
 *   <tr><td>instance_name</td><td>PGFLEET_INSTANCE_NAME</td><td>host.pid.random</td></tr>
 *   <tr><td>warmup_rounds</td><td>PGFLEET_WARMUP_ROUNDS</td><td>{@value #DEFAULT_WARMUP_ROUNDS} (0 turns the warm-up off)</td></tr>
 * </table>
 * and the abuse limits of {@link LimitSettings}.
 *
 * @param host       the address to listen on
 * @param port       the HTTP port, 0 for any free port
 * @param dataDir    where the embedded database and generated secrets live
 * @param dbUrl      an external PostgreSQL, or empty for the embedded one
 * @param dbUser     its user
 * @param dbPassword its password
 * @param poolSize   the most database connections this instance holds
 * @param adminPassword      the first administrator's password, generated when empty
 * @param registrationSecret the registration secret, generated when empty and none is set yet
 * @param accessTokenTtl     access token lifetime
 * @param tls                TLS and mTLS
 * @param retention          what is kept how long, and how often old rows are purged
 * @param limits             connection, watch and login limits
 * @param security           token lifetimes and the refresh token reuse grace
 * @param rollouts           how this instance drives staged rollouts
 * @param warmupRounds       rounds of the publish path's pure code run in the background after the start,
 *                           0 for none ({@link #DEFAULT_WARMUP_ROUNDS} by default)
 * @param dbStatementTimeout the longest the server waits for the database to answer one statement, whole
 *                           seconds (see {@link DatabaseSettings#statementTimeout()})
 */
public record ServerSettings(String host, int port, Path dataDir, Optional<String> dbUrl, String dbUser,
                             String dbPassword, int poolSize, Optional<String> adminPassword,
                             Optional<String> registrationSecret, Duration accessTokenTtl, TlsSettings tls,
                             RetentionSettings retention, LimitSettings limits,
                             SecuritySettings security, RolloutDriverSettings rollouts, int warmupRounds,
                             Duration dbStatementTimeout) {

    private static final Set<String> FILE_KEYS = Set.of("host", "port", "data_dir", "db_url", "db_user", "db_password",
            "db_pool_size", "admin_password", "registration_secret", "access_token_ttl", "tls_cert", "tls_key",
            "tls_keystore", "tls_keystore_password", "tls_client_ca", "retention_samples_days",
            "retention_sample_batches_days", "retention_tokens_days", "retention_purge_interval", "retention_batch_size",
            "retention_keep_versions", "retention_audit_days",
            "max_connections", "idle_timeout", "watches_per_collector", "trusted_proxies", "hash_threads", "hash_queue",
            "login_free_failures", "login_failures_per_address", "token_failures_per_address", "parse_slots", "parse_queue",
            "sample_rate_per_minute", "sample_burst", "refreshes_per_session", "sessions_per_user", "refresh_reuse_grace", "access_token_clock_skew", "rollout_tick_ms",
            "rollout_lease",
            "instance_name", "warmup_rounds", "db_statement_timeout");

    /** The file keys that take a string, with what the string is; every other file key takes an integer. */
    private static final Map<String, String> STRING_KEYS = Map.ofEntries(Map.entry("host", "a string (a host name or address)"),
            Map.entry("data_dir", "a string (a path)"), Map.entry("db_url", "a string (a jdbc:postgresql:// URL)"),
            Map.entry("db_user", "a string"), Map.entry("db_password", "a string"), Map.entry("admin_password", "a string"),
            Map.entry("registration_secret", "a string"), Map.entry("tls_cert", "a string (a path)"),
            Map.entry("tls_key", "a string (a path)"), Map.entry("tls_keystore", "a string (a path)"),
            Map.entry("tls_keystore_password", "a string"), Map.entry("tls_client_ca", "a string (a path)"),
            Map.entry("trusted_proxies", "a string (addresses and CIDR ranges separated by commas)"),
            Map.entry("instance_name", "a string"));

    /** The unit of the integer file keys that have one, named when such a key has the wrong type. */
    private static final Map<String, String> INTEGER_UNITS = Map.ofEntries(Map.entry("access_token_ttl", "seconds"),
            Map.entry("idle_timeout", "seconds"), Map.entry("retention_purge_interval", "seconds"),
            Map.entry("refresh_reuse_grace", "seconds"), Map.entry("access_token_clock_skew", "seconds"),
            Map.entry("rollout_lease", "seconds"), Map.entry("db_statement_timeout", "seconds"),
            Map.entry("rollout_tick_ms", "milliseconds"), Map.entry("retention_samples_days", "days"),
            Map.entry("retention_sample_batches_days", "days"), Map.entry("retention_tokens_days", "days"),
            Map.entry("retention_audit_days", "days"));

    /**
     * Rounds of the publish path run after a start, so that the first publish is not run cold
     * (docs/operations.md gives what they cost).
     */
    public static final int DEFAULT_WARMUP_ROUNDS = 300;

    /** Password of the first administrator in tests. */
    public static final String TEST_ADMIN_PASSWORD = "test-admin-password";
    /** Registration secret in tests. */
    public static final String TEST_REGISTRATION_SECRET = "test-registration-secret";

    /** Validates ranges. */
    public ServerSettings {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(dbUrl, "dbUrl");
        Objects.requireNonNull(dbUser, "dbUser");
        Objects.requireNonNull(dbPassword, "dbPassword");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (poolSize < 1 || poolSize > 1000) {
            throw new IllegalArgumentException("db_pool_size must be 1..1000, got " + poolSize);
        }
        Objects.requireNonNull(adminPassword, "adminPassword");
        Objects.requireNonNull(registrationSecret, "registrationSecret");
        Objects.requireNonNull(accessTokenTtl, "accessTokenTtl");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(rollouts, "rollouts");
        if (accessTokenTtl.toSeconds() < 10 || accessTokenTtl.toHours() > 24) {
            throw new IllegalArgumentException("access_token_ttl must be 10 s .. 24 h");
        }
        Objects.requireNonNull(dbStatementTimeout, "dbStatementTimeout");
        if (dbStatementTimeout.toMillis() % 1000 != 0 || dbStatementTimeout.toSeconds() < 1
                || dbStatementTimeout.compareTo(DatabaseSettings.MAX_STATEMENT_TIMEOUT) > 0) {
            throw new IllegalArgumentException("db_statement_timeout (PGFLEET_DB_STATEMENT_TIMEOUT) must be whole seconds, 1.."
                    + DatabaseSettings.MAX_STATEMENT_TIMEOUT.toSeconds() + ", got " + dbStatementTimeout);
        }
        if (warmupRounds < 0 || warmupRounds > WarmUpUseCase.MAX_ROUNDS) {
            throw new IllegalArgumentException("warmup_rounds (PGFLEET_WARMUP_ROUNDS) must be 0.." + WarmUpUseCase.MAX_ROUNDS
                    + ", got " + warmupRounds);
        }
    }

    /**
     * Settings with the default retention and limits.
     *
     * @param host               the address to listen on
     * @param port               the HTTP port, 0 for any free port
     * @param dataDir            where the embedded database and generated secrets live
     * @param dbUrl              an external PostgreSQL, or empty for the embedded one
     * @param dbUser             its user
     * @param dbPassword         its password
     * @param poolSize           the most database connections this instance holds
     * @param adminPassword      the first administrator's password, generated when empty
     * @param registrationSecret the registration secret, generated when empty and none is set yet
     * @param accessTokenTtl     access token lifetime
     * @param tls                TLS and mTLS
     */
    public ServerSettings(String host, int port, Path dataDir, Optional<String> dbUrl, String dbUser,
                          String dbPassword, int poolSize, Optional<String> adminPassword,
                          Optional<String> registrationSecret, Duration accessTokenTtl, TlsSettings tls) {
        this(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword, registrationSecret,
                accessTokenTtl, tls, RetentionSettings.defaults(), LimitSettings.defaults(),
                SecuritySettings.defaults(), RolloutDriverSettings.defaults(), DEFAULT_WARMUP_ROUNDS,
                DatabaseSettings.DEFAULT_STATEMENT_TIMEOUT);
    }

    /**
     * The same settings with other TLS.
     *
     * @param other the TLS settings
     * @return a copy
     */
    public ServerSettings withTls(TlsSettings other) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, other, retention, limits, security, rollouts, warmupRounds, dbStatementTimeout);
    }

    /**
     * The same settings on another port.
     *
     * @param other the port
     * @return a copy
     */
    public ServerSettings withPort(int other) {
        return new ServerSettings(host, other, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, tls, retention, limits, security, rollouts, warmupRounds, dbStatementTimeout);
    }

    /**
     * The same settings with another database pool size.
     *
     * @param other the pool size
     * @return a copy
     */
    public ServerSettings withPoolSize(int other) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, other, adminPassword,
                registrationSecret, accessTokenTtl, tls, retention, limits, security, rollouts, warmupRounds, dbStatementTimeout);
    }

    /**
     * The same settings with another access token lifetime.
     *
     * @param ttl the lifetime
     * @return a copy
     */
    public ServerSettings withAccessTokenTtl(Duration ttl) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, ttl, tls, retention, limits, security, rollouts, warmupRounds, dbStatementTimeout);
    }

    /**
     * The same settings with another retention.
     *
     * @param other what is kept how long
     * @return the new settings
     */
    public ServerSettings withRetention(RetentionSettings other) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, tls, other, limits, security, rollouts, warmupRounds, dbStatementTimeout);
    }

    /**
     * The same settings with other limits.
     *
     * @param other the limits
     * @return a copy
     */
    public ServerSettings withLimits(LimitSettings other) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, tls, retention, other, security, rollouts, warmupRounds, dbStatementTimeout);
    }

    /**
     * The same settings with other token lifetimes and reuse grace.
     *
     * @param other the security settings
     * @return a copy
     */
    public ServerSettings withSecurity(SecuritySettings other) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, tls, retention, limits, other, rollouts, warmupRounds, dbStatementTimeout);
    }

    /**
     * The same settings with another warm-up.
     *
     * @param rounds rounds of the publish path run at start, 0 for none
     * @return a copy
     */
    public ServerSettings withWarmupRounds(int rounds) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, tls, retention, limits, security, rollouts, rounds, dbStatementTimeout);
    }

    /**
     * The same settings with another wait for the database's answers.
     *
     * @param other the longest the database may take to answer one statement (whole seconds)
     * @return a copy
     */
    public ServerSettings withDbStatementTimeout(Duration other) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, tls, retention, limits, security, rollouts, warmupRounds, other);
    }

    /**
     * The same settings with another way of driving rollouts.
     *
     * @param other the rollout driver's settings
     * @return a copy
     */
    public ServerSettings withRollouts(RolloutDriverSettings other) {
        return new ServerSettings(host, port, dataDir, dbUrl, dbUser, dbPassword, poolSize, adminPassword,
                registrationSecret, accessTokenTtl, tls, retention, limits, security, other, warmupRounds, dbStatementTimeout);
    }

    /**
     * Defaults for tests: any free port on loopback, the given database.
     *
     * @param dbUrl      database URL
     * @param dbUser     user
     * @param dbPassword password
     * @param dataDir    data directory
     * @return the settings
     */
    public static ServerSettings forDatabase(String dbUrl, String dbUser, String dbPassword, Path dataDir) {
        return new ServerSettings("127.0.0.1", 0, dataDir, Optional.of(dbUrl), dbUser, dbPassword, 16,
                Optional.of(TEST_ADMIN_PASSWORD), Optional.of(TEST_REGISTRATION_SECRET), Duration.ofMinutes(15),
                TlsSettings.none());
    }

    /**
     * Reads the settings.
     *
     * @param configFile the TOML file, if any
     * @param env        the environment
     * @return the settings
     * @throws IllegalArgumentException on unknown keys or bad values, naming them
     */
    public static ServerSettings load(Optional<Path> configFile, Map<String, String> env) {
        TomlParseResult file = configFile.map(ServerSettings::parse).orElseGet(() -> Toml.parse(""));
        for (String key : file.keySet()) {
            if (!FILE_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown setting '" + key + "' in " + configFile.get()
                        + "; known: " + String.join(", ", new java.util.TreeSet<>(FILE_KEYS)));
            }
        }
        // Before any value is read: read as text, a value of the wrong type (data_dir = 5, port = true,
        // trusted_proxies = [...]) would otherwise be taken as its printed form ("5", "[...]").
        configFile.ifPresent(path -> checkTypes(file, path));
        String host = value(file, env, "host", "PGFLEET_HOST", "0.0.0.0");
        int port = integer(file, env, "port", "PGFLEET_PORT", 8080);
        Path dataDir = Path.of(value(file, env, "data_dir", "PGFLEET_DATA_DIR", "pgfleet-data"));
        String dbUrl = value(file, env, "db_url", "PGFLEET_DB_URL", "");
        String dbUser = value(file, env, "db_user", "PGFLEET_DB_USER", "postgres");
        String dbPassword = value(file, env, "db_password", "PGFLEET_DB_PASSWORD", "");
        int pool = integer(file, env, "db_pool_size", "PGFLEET_DB_POOL_SIZE", 16);
        Optional<String> admin = optional(value(file, env, "admin_password", "PGFLEET_ADMIN_PASSWORD", ""));
        Optional<String> secret = optional(value(file, env, "registration_secret", "PGFLEET_REGISTRATION_SECRET", ""));
        Duration ttl = Duration.ofSeconds(integer(file, env, "access_token_ttl", "PGFLEET_ACCESS_TOKEN_TTL", 900));
        TlsSettings tls = new TlsSettings(
                optional(value(file, env, "tls_cert", "PGFLEET_TLS_CERT", "")).map(Path::of),
                optional(value(file, env, "tls_key", "PGFLEET_TLS_KEY", "")).map(Path::of),
                optional(value(file, env, "tls_keystore", "PGFLEET_TLS_KEYSTORE", "")).map(Path::of),
                value(file, env, "tls_keystore_password", "PGFLEET_TLS_KEYSTORE_PASSWORD", ""),
                optional(value(file, env, "tls_client_ca", "PGFLEET_TLS_CLIENT_CA", "")).map(Path::of));
        RetentionSettings retention = retention(file, env);
        SecuritySettings sd = SecuritySettings.defaults();
        int grace = integer(file, env, "refresh_reuse_grace", "PGFLEET_REFRESH_REUSE_GRACE",
                (int) sd.refreshReuseGrace().toSeconds());
        if (grace < 0 || grace > SecuritySettings.MAX_REUSE_GRACE.toSeconds()) {
            throw new IllegalArgumentException("refresh_reuse_grace (PGFLEET_REFRESH_REUSE_GRACE) must be 0.."
                    + SecuritySettings.MAX_REUSE_GRACE.toSeconds() + " seconds, got " + grace);
        }
        int skew = integer(file, env, "access_token_clock_skew", "PGFLEET_ACCESS_TOKEN_CLOCK_SKEW",
                (int) sd.accessTokenClockSkew().toSeconds());
        if (skew < 0 || skew > SecuritySettings.MAX_CLOCK_SKEW.toSeconds()) {
            throw new IllegalArgumentException("access_token_clock_skew (PGFLEET_ACCESS_TOKEN_CLOCK_SKEW) must be 0.."
                    + SecuritySettings.MAX_CLOCK_SKEW.toSeconds() + " seconds, got " + skew);
        }
        SecuritySettings security = new SecuritySettings(sd.refreshTokenTtl(), sd.enrolmentTokenTtl(),
                Duration.ofSeconds(grace), Duration.ofSeconds(skew));
        LimitSettings d = LimitSettings.defaults();
        LimitSettings limits = new LimitSettings(
                integer(file, env, "max_connections", "PGFLEET_MAX_CONNECTIONS", d.maxConnections()),
                Duration.ofSeconds(integer(file, env, "idle_timeout", "PGFLEET_IDLE_TIMEOUT", (int) d.idleTimeout().toSeconds())),
                integer(file, env, "watches_per_collector", "PGFLEET_WATCHES_PER_COLLECTOR", d.watchesPerCollector()),
                LimitSettings.proxies(value(file, env, "trusted_proxies", "PGFLEET_TRUSTED_PROXIES", "")),
                integer(file, env, "hash_threads", "PGFLEET_HASH_THREADS", d.hashThreads()),
                integer(file, env, "hash_queue", "PGFLEET_HASH_QUEUE", d.hashQueue()),
                integer(file, env, "login_free_failures", "PGFLEET_LOGIN_FREE_FAILURES", d.loginFreeFailures()),
                integer(file, env, "login_failures_per_address", "PGFLEET_LOGIN_FAILURES_PER_ADDRESS",
                        d.loginFailuresPerAddress()),
                integer(file, env, "token_failures_per_address", "PGFLEET_TOKEN_FAILURES_PER_ADDRESS",
                        d.tokenFailuresPerAddress()),
                integer(file, env, "parse_slots", "PGFLEET_PARSE_SLOTS", d.parseSlots()),
                integer(file, env, "parse_queue", "PGFLEET_PARSE_QUEUE", d.parseQueue()), sampleRate(file, env),
                integer(file, env, "refreshes_per_session", "PGFLEET_REFRESHES_PER_SESSION", d.refreshesPerSession()),
                integer(file, env, "sessions_per_user", "PGFLEET_SESSIONS_PER_USER", d.sessionsPerUser()));
        RolloutDriverSettings rd = RolloutDriverSettings.defaults();
        RolloutDriverSettings rollouts = new RolloutDriverSettings(
                Duration.ofMillis(integer(file, env, "rollout_tick_ms", "PGFLEET_ROLLOUT_TICK_MS", (int) rd.tick().toMillis())),
                Duration.ofSeconds(integer(file, env, "rollout_lease", "PGFLEET_ROLLOUT_LEASE", (int) rd.lease().toSeconds())),
                value(file, env, "instance_name", "PGFLEET_INSTANCE_NAME", rd.instance()));
        int warmup = integer(file, env, "warmup_rounds", "PGFLEET_WARMUP_ROUNDS", DEFAULT_WARMUP_ROUNDS);
        int statementTimeout = integer(file, env, "db_statement_timeout", "PGFLEET_DB_STATEMENT_TIMEOUT",
                (int) DatabaseSettings.DEFAULT_STATEMENT_TIMEOUT.toSeconds());
        if (statementTimeout < 1 || statementTimeout > DatabaseSettings.MAX_STATEMENT_TIMEOUT.toSeconds()) {
            throw new IllegalArgumentException("db_statement_timeout (PGFLEET_DB_STATEMENT_TIMEOUT) must be 1.."
                    + DatabaseSettings.MAX_STATEMENT_TIMEOUT.toSeconds() + " seconds, got " + statementTimeout);
        }
        return new ServerSettings(host, port, dataDir, optional(dbUrl), dbUser, dbPassword, pool, admin, secret, ttl, tls,
                retention, limits, security, rollouts, warmup, Duration.ofSeconds(statementTimeout));
    }

    private static SampleRate sampleRate(TomlParseResult file, Map<String, String> env) {
        SampleRate d = SampleRate.defaults();
        try {
            return new SampleRate(
                    integer(file, env, "sample_rate_per_minute", "PGFLEET_SAMPLE_RATE_PER_MINUTE", d.perMinute()),
                    integer(file, env, "sample_burst", "PGFLEET_SAMPLE_BURST", d.burst()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sample_rate_per_minute (PGFLEET_SAMPLE_RATE_PER_MINUTE) and sample_burst"
                    + " (PGFLEET_SAMPLE_BURST): " + e.getMessage(), e);
        }
    }

    private static RetentionSettings retention(TomlParseResult file, Map<String, String> env) {
        RetentionSettings defaults = RetentionSettings.defaults();
        int maxDays = (int) RetentionSettings.MAX_PERIOD.toDays();
        int samples = bounded(file, env, "retention_samples_days", "PGFLEET_RETENTION_SAMPLES_DAYS",
                (int) defaults.samples().toDays(), maxDays);
        int batches = bounded(file, env, "retention_sample_batches_days", "PGFLEET_RETENTION_SAMPLE_BATCHES_DAYS",
                (int) defaults.sampleBatchIds().toDays(), maxDays);
        int tokens = bounded(file, env, "retention_tokens_days", "PGFLEET_RETENTION_TOKENS_DAYS",
                (int) defaults.spentTokens().toDays(), maxDays);
        int batchSize = positive(file, env, "retention_batch_size", "PGFLEET_RETENTION_BATCH_SIZE", defaults.batchSize());
        int interval = bounded(file, env, "retention_purge_interval", "PGFLEET_RETENTION_PURGE_INTERVAL",
                (int) defaults.interval().toSeconds(), (int) RetentionSettings.MAX_INTERVAL.toSeconds());
        if (batchSize > 100_000) {
            throw new IllegalArgumentException("retention_batch_size (PGFLEET_RETENTION_BATCH_SIZE) must be 1..100000, got "
                    + batchSize);
        }
        int keepVersions = integer(file, env, "retention_keep_versions", "PGFLEET_RETENTION_KEEP_VERSIONS",
                defaults.keepVersions());
        if (keepVersions != 0 && (keepVersions < RetentionSettings.MIN_KEEP_VERSIONS
                || keepVersions > RetentionSettings.MAX_KEEP_VERSIONS)) {
            throw new IllegalArgumentException("retention_keep_versions (PGFLEET_RETENTION_KEEP_VERSIONS) must be 0 (keep every"
                    + " version) or " + RetentionSettings.MIN_KEEP_VERSIONS + ".." + RetentionSettings.MAX_KEEP_VERSIONS
                    + ", got " + keepVersions);
        }
        int auditDays = integer(file, env, "retention_audit_days", "PGFLEET_RETENTION_AUDIT_DAYS",
                (int) defaults.audit().toDays());
        if (auditDays < 0 || auditDays > RetentionSettings.MAX_AUDIT.toDays()) {
            throw new IllegalArgumentException("retention_audit_days (PGFLEET_RETENTION_AUDIT_DAYS) must be 0 (keep every"
                    + " entry) or a number of days up to " + RetentionSettings.MAX_AUDIT.toDays() + ", got " + auditDays);
        }
        return new RetentionSettings(Duration.ofDays(samples), Duration.ofDays(batches), Duration.ofDays(tokens), batchSize,
                Duration.ofSeconds(interval), keepVersions, Duration.ofDays(auditDays));
    }

    /** A setting of 1..max: beyond the bound a retention's cutoff leaves PostgreSQL's time range, or the purge never runs. */
    private static int bounded(TomlParseResult file, Map<String, String> env, String key, String envName, int fallback,
                               int max) {
        int value = integer(file, env, key, envName, fallback);
        if (value < 1 || value > max) {
            throw new IllegalArgumentException(key + " (" + envName + ") must be 1.." + max + ", got " + value);
        }
        return value;
    }

    private static int positive(TomlParseResult file, Map<String, String> env, String key, String envName, int fallback) {
        int value = integer(file, env, key, envName, fallback);
        if (value < 1) {
            throw new IllegalArgumentException(key + " (" + envName + ") must be at least 1, got " + value);
        }
        return value;
    }

    /** Each key of the file has the type it takes, or the file is a bad setting naming the key and that type. */
    private static void checkTypes(TomlParseResult file, Path path) {
        for (String key : new java.util.TreeSet<>(file.keySet())) {
            Object value = file.get(java.util.List.of(key));
            String string = STRING_KEYS.get(key);
            if (string != null) {
                if (!(value instanceof String)) {
                    throw new IllegalArgumentException(path + ": " + key + " takes " + string + ", not " + kind(value));
                }
            } else if (!(value instanceof Long || value instanceof String s && s.strip().matches("[+-]?[0-9]+"))) {
                // A quoted integer (port = "8080") was read as one before types were checked: it still is.
                String unit = INTEGER_UNITS.get(key);
                throw new IllegalArgumentException(path + ": " + key + " takes an integer" + (unit == null ? "" : " (" + unit + ")")
                        + ", not " + kind(value));
            }
        }
    }

    private static Optional<String> optional(String value) {
        return value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    private static TomlParseResult parse(Path file) {
        try {
            TomlParseResult r = Toml.parse(Files.readString(file));
            if (r.hasErrors()) {
                throw new IllegalArgumentException("cannot read " + file + ": " + r.errors().get(0).toString());
            }
            return r;
        } catch (IOException e) {
            // A bad setting like any other (exit 2, one line): the file is named with the reason,
            // which the exception's own message is not (NoSuchFileException's is only the path).
            throw new IllegalArgumentException("cannot read the config file " + file + ": " + reason(e));
        }
    }

    private static String reason(IOException e) {
        return switch (e) {
            case java.nio.file.NoSuchFileException x -> "no such file";
            case java.nio.file.AccessDeniedException x -> "permission denied (the server runs as "
                    + System.getProperty("user.name") + ")";
            default -> e.getMessage() == null ? e.toString() : e.getMessage();
        };
    }

    private static String value(TomlParseResult file, Map<String, String> env, String key, String envName, String fallback) {
        String fromEnv = env.get(envName);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return fromEnv;
        }
        Object v = file.get(key);
        return v == null ? fallback : String.valueOf(v);
    }

    private static int integer(TomlParseResult file, Map<String, String> env, String key, String envName, int fallback) {
        String text = value(file, env, key, envName, Integer.toString(fallback));
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " (" + envName + ") must be an integer, got '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return "ServerSettings[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", dbUrl=" + dbUrl
                + ", dbUser=" + dbUser + ", poolSize=" + poolSize + ", tls=" + tls.enabled() + "]";
    }
}
