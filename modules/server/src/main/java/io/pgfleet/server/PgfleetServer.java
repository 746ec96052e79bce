package io.pgfleet.server;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgfleet.adapter.in.http.HttpApi;
import io.pgfleet.adapter.in.http.HttpLimits;
import io.pgfleet.adapter.in.http.HttpMetrics;
import io.pgfleet.adapter.out.postgres.DatabaseConnectionLostException;
import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.DatabaseNotAnsweringException;
import io.pgfleet.adapter.out.postgres.DatabaseUnreachableException;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.adapter.out.postgres.FleetPersistenceAdapter;
import io.pgfleet.adapter.out.postgres.PostgresChangeFeed;
import io.pgfleet.adapter.out.postgres.PostgresStorage;
import io.pgfleet.adapter.out.security.JwtAccessTokens;
import io.pgfleet.adapter.out.security.Pbkdf2PasswordHasher;

import io.pgfleet.application.port.in.BootstrapSecurityUseCase;
import io.pgfleet.application.port.in.DriveRolloutsUseCase;
import io.pgfleet.application.port.in.PurgeExpiredDataUseCase;
import io.pgfleet.application.port.in.UseCases;
import io.pgfleet.application.service.LoginLimitSettings;
import io.pgfleet.application.service.RolloutSettings;
import io.pgfleet.application.service.UseCaseFactory;
import io.pgfleet.domain.audit.AuditAction;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.domain.audit.AuditSubject;
import io.pgfleet.domain.identity.Actor;
import io.pgfleet.toml.BoundedDocumentParser;
import io.pgfleet.toml.TomlDocumentParser;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A running pgfleet server: its database (embedded or external), storage, use cases and HTTP API.
 */
public final class PgfleetServer implements AutoCloseable {

    /** Hard limit on request bodies at the socket; the API itself answers 413 above 256 KiB. */
    private static final long MAX_PAYLOAD_BYTES = 16L * 1024 * 1024;
    /** How often idle connections are looked for (Helidon's default, 2 min, would let them linger to 4 min). */
    private static final Duration IDLE_CHECK_PERIOD = Duration.ofSeconds(30);

    private final Optional<EmbeddedDatabase> embedded;
    private final PostgresStorage storage;
    private final WebServer webServer;
    private final BootstrapSecurityUseCase.Generated bootstrap;
    private final DatabaseSettings database;
    private final ScheduledExecutorService purger;
    private final ScheduledExecutorService driver;
    private final DriveRolloutsUseCase rollouts;
    private final StartupWarmUp warmUp;
    /** Closes the server when the JVM exits (SIGTERM): {@link #close()} stops everything in order. */
    private final Thread exitHook = new Thread(this::close, "pgfleet-shutdown");
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private PgfleetServer(Optional<EmbeddedDatabase> embedded, PostgresStorage storage, WebServer webServer,
                          BootstrapSecurityUseCase.Generated bootstrap, DatabaseSettings database,
                          ScheduledExecutorService purger, ScheduledExecutorService driver, DriveRolloutsUseCase rollouts,
                          StartupWarmUp warmUp) {
        this.warmUp = warmUp;
        this.database = database;
        this.purger = purger;
        this.driver = driver;
        this.rollouts = rollouts;
        this.embedded = embedded;
        this.storage = storage;
        this.webServer = webServer;
        this.bootstrap = bootstrap;
    }

    /** Said at a start given an administrator password when users exist already (the value never is). */
    static final String ADMIN_PASSWORD_IGNORED = "PGFLEET_ADMIN_PASSWORD (admin_password) is set but users exist already:"
            + " it is used only on the first start, to create the administrator 'admin', and was ignored now. To change a"
            + " password, log in as an administrator; if every administrator's password is lost, run"
            + " 'pgfleet-server reset-admin-password --user NAME' on this host (docs/security.md). Remove the setting to"
            + " silence this warning";

    /** Nothing generated (yet). */
    private static final BootstrapSecurityUseCase.Generated NOTHING_GENERATED =
            new BootstrapSecurityUseCase.Generated(Optional.empty(), Optional.empty());

    /**
     * Starts everything. It returns only once the API listens: a server that cannot listen has not
     * started.
     *
     * @param settings the server settings
     * @return the running server
     * @throws CannotStartException when the port is taken or another server holds the data directory
     *                              (with the secrets generated before the failure, if any)
     */
    public static PgfleetServer start(ServerSettings settings) {
        return start(settings, Clock.systemUTC(), () -> { });
    }

    /**
     * As {@link #start(ServerSettings)}, the warm-up's thread running {@code beforeWarmUp} before its
     * first round: tests hold it there to put real work before that round.
     *
     * @param settings     the server settings
     * @param beforeWarmUp run on the warm-up's thread before its first round
     * @return the running server
     */
    static PgfleetServer start(ServerSettings settings, Runnable beforeWarmUp) {
        return start(settings, Clock.systemUTC(), beforeWarmUp);
    }

    /**
     * Starts everything on a given clock: this host's, as far as the server knows (tests of instances
     * whose clocks disagree).
     *
     * @param settings the server settings
     * @param clock    this host's clock
     * @return the running server
     */
    static PgfleetServer start(ServerSettings settings, Clock clock) {
        return start(settings, clock, () -> { });
    }

    private static PgfleetServer start(ServerSettings settings, Clock clock, Runnable beforeWarmUp) {
        // An address that cannot be listened on (a host name that does not resolve, an address not
        // of this machine, a port taken) is refused before the database is started and migrated,
        // and in one line: the listener's own builder would throw it with a stack trace, after all that.
        ensureFree(settings.host(), settings.port());
        Optional<EmbeddedDatabase> embedded = settings.dbUrl().isPresent()
                ? Optional.empty()
                : Optional.of(startEmbedded(settings.dataDir().toAbsolutePath()));
        Optional<PostgresStorage> opened = Optional.empty();
        BootstrapSecurityUseCase.Generated report = NOTHING_GENERATED;
        try {
            DatabaseSettings db = embedded.map(e -> e.settings(settings.poolSize()))
                    .orElseGet(() -> new DatabaseSettings(settings.dbUrl().orElseThrow(), settings.dbUser(),
                            settings.dbPassword(), settings.poolSize()))
                    .withStatementTimeout(settings.dbStatementTimeout());
            PostgresStorage storage;
            try {
                storage = PostgresStorage.open(db);
            } catch (DatabaseNotAnsweringException | DatabaseConnectionLostException e) {
                // Their lines say what to do; the settings were right.
                throw new CannotStartException(e.getMessage(), e);
            } catch (DatabaseUnreachableException e) {
                throw new CannotStartException(e.getMessage() + "; check db_url, db_user and db_password"
                        + " (PGFLEET_DB_URL, PGFLEET_DB_USER, PGFLEET_DB_PASSWORD), or leave db_url out to run"
                        + " the embedded PostgreSQL", e);
            }
            opened = Optional.of(storage);
            // The embedded PostgreSQL is set durable on every start; an external one is the DBA's.
            storage.durabilityNotes().forEach(note -> System.getLogger(PgfleetServer.class.getName())
                    .log(note.unsafe() ? System.Logger.Level.WARNING : System.Logger.Level.INFO, note.line()));
            // Before the use cases load the restore marks.
            Optional<EmbeddedDatabase.RestoreMark> restoreMark = embedded.flatMap(EmbeddedDatabase::restoreMark);
            FleetPersistenceAdapter.RestoreCheck restore = storage.fleet().markIfRestored(restoreMark.isPresent());
            // A client hanging up in the middle of its headers is counted, not logged per connection.
            IncompleteRequests.install();
            // An error answer after which the connection is closed on purpose is not a warning.
            ClosedAfterAnswer.install();
            PrometheusMeterRegistry registry = registry();
            BoundedDocumentParser parser = parser(settings.limits());
            parserMetrics(registry, parser);
            // One clock for everything this instance compares with times the database holds: the use
            // cases' and the metrics' (a watch's propagation, a notification's lag).
            Clock databaseClock = storage.clock(clock);
            UseCases useCases = useCases(storage, settings, databaseClock, clock, new LayerChangeMetrics(registry), parser);
            if (restore.restored()) {
                completeRestore(restore, restoreMark, embedded, storage, useCases,
                        new Actor(RESTORE_ACTOR, settings.rollouts().instance()), databaseClock);
            }
            WebServerConfig.Builder builder = WebServer.builder()
                    .host(settings.host())
                    .port(settings.port())
                    .maxPayloadSize(MAX_PAYLOAD_BYTES)
                    .maxTcpConnections(settings.limits().maxConnections())
                    .idleConnectionTimeout(settings.limits().idleTimeout())
                    .idleConnectionPeriod(IDLE_CHECK_PERIOD)
                    .connectionOptions(new SlowClientTimeout(settings.limits().idleTimeout()))
                    .directHandlers(HttpApi.directHandlers())
                    .contentEncoding(HttpApi.contentEncoding())
                    .addProtocol(HttpApi.http1())
                    .addConnectionSelector(HttpApi.http10())
                    .routing(r -> routing(r, useCases, storage, registry, new HttpLimits(settings.limits().trustedProxies(),
                            settings.limits().watchesPerCollector()), databaseClock));
            // TLS material is read here, before anything is generated: a wrong path loses no secret.
            if (settings.tls().enabled()) {
                builder.tls(ServerTls.build(settings.tls()));
            }
            WebServer webServer = builder.build();
            // The first start generates the administrator's password and the registration secret and
            // stores only their hashes: a port found taken after that would lose them. Found taken
            // now, nothing is generated and the next start generates them.
            ensureFree(settings.host(), settings.port());
            report = useCases.access().bootstrap().bootstrap(settings.adminPassword(), settings.registrationSecret());
            if (report.adminPasswordIgnored()) {
                System.getLogger(PgfleetServer.class.getName()).log(System.Logger.Level.WARNING, ADMIN_PASSWORD_IGNORED);
            }
            // Before serving: effective revisions seeded by the schema migration get their
            // configuration's hash, so drift is real drift for every collector.
            completeEffectiveRevisions(useCases);
            // Work is counted from here, before serving: a publish that comes before the warm-up's
            // first round ends it as well (completing the revisions above does not).
            StartupWarmUp warmUp = StartupWarmUp.prepare(useCases.operations().warmUp(), settings.warmupRounds(),
                    beforeWarmUp);
            webServer.start();
            // Helidon logs a listener that cannot bind and carries on without it.
            if (!webServer.isRunning() || webServer.port() < 0) {
                if (webServer.isRunning()) {
                    webServer.stop();
                }
                throw cannotListen(settings.host(), settings.port(), bindFailure(settings.host(), settings.port()));
            }
            PgfleetServer server = new PgfleetServer(embedded, storage, webServer, report, db,
                    schedulePurge(useCases.operations().purge(), settings.retention().interval()),
                    scheduleRollouts(useCases.rollouts().drive(), settings.rollouts().tick()), useCases.rollouts().drive(),
                    // Once serving: readiness does not wait for it.
                    warmUp.start());
            // One hook stops it all in order at the JVM's exit: the database last, after what uses it.
            Runtime.getRuntime().addShutdownHook(server.exitHook);
            embedded.ifPresent(EmbeddedDatabase::stopAtExitByOwner);
            return server;
        } catch (RuntimeException e) {
            opened.ifPresent(PostgresStorage::close);
            try {
                embedded.ifPresent(EmbeddedDatabase::close);
            } catch (RuntimeException stop) {
                // An embedded PostgreSQL that hangs does not stop either: why the start failed is what
                // the operator must read, not this.
                System.getLogger(PgfleetServer.class.getName()).log(System.Logger.Level.WARNING,
                        "stopping the embedded PostgreSQL after the failed start: " + stop.getMessage());
            }
            if (e instanceof CannotStartException cannot) {
                throw cannot.withGenerated(report);
            }
            if (report.adminPassword().isPresent() || report.registrationSecret().isPresent()) {
                throw new CannotStartException("the server did not start: " + e, e, report);
            }
            throw e;
        }
    }

    /** Who writes the audit entry saying that the database was restored: the server, its instance as the address. */
    static final String RESTORE_ACTOR = "pgfleet";

    /**
     * The first start on a restored database, once its apply statuses are marked as the backup's (so
     * that the fleet view says so until each agent says what it runs): running rollouts are paused
     * before any instance drives them, then the database's identity is recorded with the audit entry
     * {@code server.restored} (the audit trail would otherwise lack every entry after the backup
     * without saying so), and the embedded restore's mark removed. Restored by {@code pgfleet
     * restore} (its mark in the embedded cluster), by a logical restore of an external database (its
     * tables were created anew), or as the operator says after a physical one (the identity row
     * removed). A crash before the end does it all again at the next start, the audit entry once.
     */
    private static void completeRestore(FleetPersistenceAdapter.RestoreCheck restore,
                                        Optional<EmbeddedDatabase.RestoreMark> mark, Optional<EmbeddedDatabase> embedded,
                                        PostgresStorage storage, UseCases useCases, Actor actor, Clock clock) {
        int paused = useCases.rollouts().drive().holdAfterRestore();
        String how = restore.asked() ? "first start after a restore"
                : restore.origin() == FleetPersistenceAdapter.DatabaseOrigin.TABLES_CREATED_ANEW
                ? "first start on a restored database (its tables were created anew since an instance last started on it:"
                        + " a restore of a dump with pg_restore or psql)"
                : "first start on a database marked as restored (its database_identity row was removed)";
        boolean audited = storage.fleet().recordIdentity(mark.map(EmbeddedDatabase.RestoreMark::restoredAt),
                new AuditEntry(clock.instant(), actor, AuditAction.SERVER_RESTORED, new AuditSubject.OfServer(), 0,
                        restoredDetail(restore, mark.flatMap(EmbeddedDatabase.RestoreMark::backupTakenAt), paused)));
        if (restore.asked()) {
            embedded.ifPresent(EmbeddedDatabase::restoreMarked);
        }
        System.getLogger(PgfleetServer.class.getName()).log(System.Logger.Level.INFO, how + ": the apply status of "
                + restore.marked() + " collector(s) is the backup's; the fleet view says so, and claims none of them in"
                + " sync, until each agent says what it runs (an apply report, or a pull of its current revision)"
                + (paused == 0 ? "" : "; " + paused + " running rollout(s) paused: resume each once its wave's members"
                        + " have reported again, or abort it")
                + (audited ? "; audited as server.restored" : ""));
    }

    /**
     * What the audit entry of a restore says: how the database was restored, the backup's time when
     * known, that the entries written after the backup are gone, and the newest one kept.
     */
    static String restoredDetail(FleetPersistenceAdapter.RestoreCheck restore, Optional<java.time.Instant> backupTakenAt,
                                 int paused) {
        String how = restore.asked() ? "restored with pgfleet restore"
                : restore.origin() == FleetPersistenceAdapter.DatabaseOrigin.TABLES_CREATED_ANEW
                ? "restored from a dump (its tables were created anew)"
                : "marked as restored (its database_identity row was removed: a physical restore)";
        return "the database was " + how + " from a backup taken "
                + backupTakenAt.map(t -> "at " + t).orElse("at a time it does not record")
                + ": audit entries written after the backup are gone from this trail"
                + restore.newestEntry().map(t -> "; the newest entry kept is of " + t).orElse("; the backup held no audit entry")
                + "; the apply status of " + restore.marked() + " collector(s) is the backup's until each agent reports"
                + (paused == 0 ? "" : "; " + paused + " running rollout(s) paused");
    }

    /**
     * The embedded PostgreSQL; a data directory held by another server, or a PostgreSQL that cannot
     * start, is a refusal said in one line.
     */
    private static EmbeddedDatabase startEmbedded(java.nio.file.Path dataDir) {
        try {
            return EmbeddedDatabase.start(dataDir);
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            // Another server holds the data directory, a PostgreSQL left on it does not stop, or
            // PostgreSQL did not start (in its own words): the message names it and what to do.
            throw new CannotStartException(e.getMessage(), e);
        }
    }

    /**
     * Fails when the address cannot be bound right now (taken, or not an address of this host).
     * Port 0 (any free port) always can.
     */
    private static void ensureFree(String host, int port) {
        // Port 0 (any free port) is probed too: binding it fails only when the host is not usable.
        Optional<String> failure = bindFailure(host, port);
        if (failure.isPresent()) {
            throw cannotListen(host, port, failure);
        }
    }

    /** Why binding the address fails now, if it does: what the operating system said. */
    private static Optional<String> bindFailure(String host, int port) {
        // As the server's listener binds: address reuse on, so a port left in TIME_WAIT is free.
        java.net.InetSocketAddress address = new java.net.InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            return Optional.of(UNRESOLVED);
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(address);
            return Optional.empty();
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.of(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static CannotStartException cannotListen(String host, int port, Optional<String> reason) {
        String remedy = reason.filter(UNRESOLVED::equals).isPresent()
                ? "; set host (PGFLEET_HOST, or host in the config file) to a name or address of this machine,"
                + " or 0.0.0.0 for all of them"
                : "; stop what uses that port or set another port (PGFLEET_PORT, or port in the config file)"
                + " or host (PGFLEET_HOST)";
        return new CannotStartException("cannot listen on " + host + ":" + port + reason.map(r -> " (" + r + ")").orElse("")
                + remedy, new java.net.BindException(reason.orElse("the listener did not start")));
    }

    /** Why a host name that does not resolve cannot be listened on. */
    private static final String UNRESOLVED = "the host name does not resolve to an address";

    private static void completeEffectiveRevisions(UseCases useCases) {
        System.Logger log = System.getLogger(PgfleetServer.class.getName());
        try {
            int completed = useCases.layers().complete().completeEffectiveRevisions();
            if (completed > 0) {
                log.log(System.Logger.Level.INFO, "completed the effective configuration of " + completed + " collector(s)");
            }
        } catch (RuntimeException e) {
            // Serving matters more: until a later start completes them, those collectors' drift is
            // judged by version numbers only, as before.
            log.log(System.Logger.Level.WARNING, "could not complete stored effective configurations: " + e);
        }
    }

    // One daemon thread per instance; every instance purges, which is harmless (see RetentionPersistenceAdapter).
    private static ScheduledExecutorService schedulePurge(PurgeExpiredDataUseCase retention, Duration every) {
        ScheduledExecutorService purger = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgfleet-retention");
            t.setDaemon(true);
            return t;
        });
        System.Logger log = System.getLogger("io.pgfleet.server.retention");
        purger.scheduleWithFixedDelay(() -> {
            try {
                PurgeExpiredDataUseCase.Purged purged = retention.purgeExpired();
                if (purged.total() > 0) {
                    log.log(System.Logger.Level.INFO, "retention purged " + purged);
                }
            } catch (RuntimeException e) {
                // The database may be away for a while; the next run tries again.
                log.log(System.Logger.Level.WARNING, "retention purge failed: " + e.getMessage());
            }
        }, Math.min(60_000, every.toMillis()), every.toMillis(), TimeUnit.MILLISECONDS);
        return purger;
    }

    // Every instance ticks; only the one holding the lease drives (see RolloutPersistenceAdapter).
    private static ScheduledExecutorService scheduleRollouts(DriveRolloutsUseCase drive, Duration every) {
        ScheduledExecutorService driver = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgfleet-rollouts");
            t.setDaemon(true);
            return t;
        });
        FailureStreakLog log = new FailureStreakLog(System.getLogger("io.pgfleet.server.rollouts"), "driving rollouts",
                Duration.ofMinutes(1), System::nanoTime);
        driver.scheduleWithFixedDelay(() -> {
            try {
                drive.drive();
                log.succeeded();
            } catch (RuntimeException e) {
                // The database may be away for a while; the next tick tries again, and the lease lapses meanwhile.
                log.failed(e);
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        return driver;
    }

    /**
     * The use cases on top of the storage adapters.
     *
     * @param storage  the storage
     * @param settings the server settings (token lifetimes, limits, retention)
     * @param clock    this host's clock: the use cases tell the database's time through it, and retention
     *                 reads it as it is
     * @return the wired use cases
     */
    public static UseCases useCases(PostgresStorage storage, ServerSettings settings, Clock clock) {
        return useCases(storage, settings, storage.clock(clock), clock, t -> { }, parser(settings.limits()));
    }

    private static BoundedDocumentParser parser(LimitSettings limits) {
        return new BoundedDocumentParser(new TomlDocumentParser(), limits.parseSlots(), limits.parseQueue());
    }

    /**
     * The clock the use cases read, ticking in whole microseconds: what PostgreSQL keeps of a
     * timestamp. An instant with a finer part is rounded on the way in, and not alike by every route
     * (pgjdbc rounds a half microsecond up, PostgreSQL's text input rounds it to even), so two
     * values written from one instant could read back a microsecond apart: a rollout then judged
     * every member its wave had changed as changed before the wave began. Instants that are whole
     * microseconds are stored as they are, by every route.
     *
     * @param clock the time source
     * @return the same time, in whole microseconds
     */
    static Clock storedPrecision(Clock clock) {
        return Clock.tick(clock, Duration.ofNanos(1_000));
    }

    private static UseCases useCases(PostgresStorage storage, ServerSettings settings, Clock databaseClock,
                                     Clock anyClock,
                                     io.pgfleet.application.port.out.RecordLayerChangeTimingPort layerTimings,
                                     BoundedDocumentParser parser) {
        // Every instance on the database tells the same time: what one stores (a wave's start, a token's
        // expiry, an agent's last report) and another compares with its own now (a token's expiry and
        // issue time, checked by whichever instance the token reaches) means the same to both, however
        // far apart their hosts' clocks are. Retention alone keeps this host's clock as well.
        Clock clock = storedPrecision(databaseClock);
        JwtAccessTokens jwt = new JwtAccessTokens(storage.keys(), settings.accessTokenTtl(),
                settings.security().accessTokenClockSkew());
        LimitSettings limits = settings.limits();
        return UseCaseFactory.builder()
                .loadCollector(storage.collectors()).saveCollector(storage.collectors())
                .revokeCollector(storage.collectors())
                .loadRevision(storage.revisions()).appendRevision(storage.revisions()).loadHistory(storage.revisions())
                .changes(storage.changes()).parser(parser).loadAudit(storage.audit())
                .saveReport(storage.fleet()).restoredMarks(storage.fleet()).saveBatch(storage.fleet()).loadFleet(storage.fleet()).countFleet(storage.fleet())
                .database(storage)
                .loadUser(storage.users()).saveUser(storage.users())
                .hasher(new Pbkdf2PasswordHasher(Pbkdf2PasswordHasher.DEFAULT_ITERATIONS, limits.hashThreads(),
                        limits.hashQueue()))
                .accessTokens(jwt).signingKeys(jwt).refreshTokens(storage.tokens()).sessions(storage.tokens())
                .enrolments(storage.tokens())
                .secrets(storage.keys())
                .purge(storage.retention()).samplePartitions(storage.samplePartitions()).recordAudit(storage.audit())
                .settings(settings.security())
                .loginLimits(new LoginLimitSettings(limits.loginFreeFailures(), LoginLimitSettings.defaults().firstDelay(),
                        LoginLimitSettings.defaults().maxDelay(), limits.loginFailuresPerAddress(),
                        LoginLimitSettings.defaults().addressWindow(), LoginLimitSettings.defaults().maxTracked(),
                        limits.tokenFailuresPerAddress()))
                .refreshesPerSession(limits.refreshesPerSession())
                .sessionsPerUser(limits.sessionsPerUser())
                .retention(settings.retention())
                .sampleRate(limits.sampleRate())
                .layerStore(storage.layers()).loadLayers(storage.layers())
                .registrationStore(storage.registrations())
                .rolloutStore(storage.rollouts()).loadRollouts(storage.rollouts()).rolloutLease(storage.rollouts())
                .rollouts(new RolloutSettings(settings.rollouts().instance(), settings.rollouts().lease()))
                .clock(clock)
                .hostClock(storedPrecision(anyClock))
                .layerTimings(layerTimings)
                .build();
    }

    /**
     * The server's complete routing, exposed for tests that start a server of their own.
     *
     * @param routing  the routing to fill
     * @param useCases the use cases
     */
    public static void routing(HttpRouting.Builder routing, UseCases useCases) {
        routing(routing, useCases, HttpLimits.defaults());
    }

    /**
     * The server's complete routing with given HTTP limits.
     *
     * @param routing  the routing to fill
     * @param useCases the use cases
     * @param limits   trusted proxies and watch limits
     */
    public static void routing(HttpRouting.Builder routing, UseCases useCases, HttpLimits limits) {
        PrometheusMeterRegistry registry = registry();
        HttpApi.register(routing, useCases, new HttpMetrics(registry, exposition(registry)), limits);
    }

    private static void routing(HttpRouting.Builder routing, UseCases useCases, PostgresStorage storage,
                                PrometheusMeterRegistry registry, HttpLimits limits, Clock databaseClock) {
        storageMetrics(registry, storage, databaseClock);
        HttpApi.register(routing, useCases, new HttpMetrics(registry, exposition(registry), databaseClock), limits);
    }

    /**
     * Prometheus text of every metric, or of the names a scrape asked for. The registry filters by
     * family ({@code pgfleet_publishes}); a series' name as the text shows it
     * ({@code pgfleet_publishes_total}, {@code …_bucket}) names its family too.
     */
    private static HttpMetrics.Exposition exposition(PrometheusMeterRegistry registry) {
        return names -> {
            if (names.isEmpty()) {
                return registry.scrape();
            }
            java.util.Set<String> families = new java.util.HashSet<>(names);
            for (String name : names) {
                for (String suffix : SERIES_SUFFIXES) {
                    if (name.endsWith(suffix)) {
                        families.add(name.substring(0, name.length() - suffix.length()));
                    }
                }
            }
            return registry.scrape(PROMETHEUS_TEXT, families);
        };
    }

    private static final java.util.List<String> SERIES_SUFFIXES = java.util.List.of("_total", "_count", "_sum", "_bucket",
            "_created", "_max", "_info");

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private static PrometheusMeterRegistry registry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Two of Micrometer's JVM names break Prometheus' conventions (promtool check metrics):
        // process_cpu_time_ns_total (an abbreviated unit) becomes Prometheus' standard
        // process_cpu_seconds_total; system_cpu_count (a "_count" that is no histogram) becomes
        // system_cpu_cores. docs/operations.md lists them.
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.cores") : id;
                    }
                });
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            FunctionCounter.builder("process_cpu_seconds", os, o -> o.getProcessCpuTime() / 1e9)
                    .description("CPU time used by the server's JVM").register(registry);
        }
        // The class, not an instance: Micrometer holds the object it reads weakly.
        FunctionCounter.builder("pgfleet_http_incomplete_requests", IncompleteRequests.class, c -> IncompleteRequests.total())
                .description("Connections closed by their clients in the middle of a request's first line or headers")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        return registry;
    }

    /** Notification lag buckets (s): milliseconds when healthy, seconds when a listener falls behind. */
    private static final Duration[] NOTIFICATION_LAG_BUCKETS = java.util.stream.DoubleStream.of(
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .mapToObj(s -> Duration.ofNanos(Math.round(s * 1_000_000_000L))).toArray(Duration[]::new);

    // Read at scrape time from the storage adapter; Micrometer stays out of the adapter and its port.
    private static void parserMetrics(MeterRegistry registry, BoundedDocumentParser parser) {
        Gauge.builder("pgfleet_document_parses_running", parser, BoundedDocumentParser::running)
                .description("Configuration documents being parsed right now (at most parse_slots)").register(registry);
        Gauge.builder("pgfleet_document_parses_peak", parser, BoundedDocumentParser::peak)
                .description("The most configuration documents parsed at once since the start (at most parse_slots)")
                .register(registry);
        FunctionCounter.builder("pgfleet_document_parses_refused", parser, BoundedDocumentParser::refused)
                .description("Configuration documents refused (429) because every parsing slot and the wait queue were full")
                .register(registry);
    }

    private static void storageMetrics(MeterRegistry registry, PostgresStorage storage, Clock databaseClock) {
        PostgresChangeFeed feed = storage.changes();
        Gauge.builder("pgfleet_listen_connected", feed, f -> f.listening() ? 1 : 0)
                .description("1 while this instance's LISTEN connection (publish notifications) is up, else 0")
                .register(registry);
        FunctionCounter.builder("pgfleet_listen_reconnects", feed, PostgresChangeFeed::reconnects)
                .description("Times the LISTEN connection was re-established after a loss").register(registry);
        Gauge.builder("pgfleet_listen_listeners_failing", feed, PostgresChangeFeed::failingListeners)
                .description("Listeners of this instance's LISTEN connection that failed (on an announcement or "
                        + "when re-checking what they remember) and have not re-checked since: each hears no "
                        + "announcement and takes nothing it remembers for current meanwhile")
                .register(registry);
        FunctionCounter.builder("pgfleet_listen_listener_failures", feed, PostgresChangeFeed::listenerFailures)
                .description("Failures of listeners of this instance's LISTEN connection, on an announcement or "
                        + "when re-checking what they remember").register(registry);
        Timer lag = Timer.builder("pgfleet_listen_notification_lag")
                .description("Time from a publishing transaction sending its notifications (database clock) to this "
                        + "instance's LISTEN connection receiving them")
                .serviceLevelObjectives(NOTIFICATION_LAG_BUCKETS).register(registry);
        feed.onNotificationLag(lag::record, databaseClock);
        for (String state : new String[] {"active", "idle", "waiting", "max"}) {
            Gauge.builder("pgfleet_db_pool_connections", storage, s -> s.poolUsage().map(u -> switch (state) {
                        case "active" -> u.active();
                        case "idle" -> u.idle();
                        case "waiting" -> u.waiting();
                        default -> u.max();
                    }).orElse(0))
                    .tag("state", state)
                    .description("Database pool connections: active (lent), idle, waiting (requests queued for one), max (pool size)")
                    .register(registry);
        }
    }

    /**
     * The port the API listens on.
     *
     * @return the port
     */
    public int port() {
        return webServer.port();
    }

    /**
     * Secrets generated by this start (first administrator password, registration secret), to be shown once.
     *
     * @return the report
     */
    public BootstrapSecurityUseCase.Generated generatedSecrets() {
        return bootstrap;
    }

    /**
     * The JDBC URL of the server's database (the embedded one or the configured one).
     *
     * @return the URL
     */
    public String databaseUrl() {
        return database.url();
    }

    /**
     * Whether an embedded PostgreSQL is running for this server.
     *
     * @return true when embedded
     */
    public boolean embeddedDatabase() {
        return embedded.isPresent();
    }

    /**
     * What the warm-up at start ran, once it has ended (at once, with 0 rounds, when it is off).
     *
     * @return the warm-up's outcome
     */
    public java.util.concurrent.CompletionStage<io.pgfleet.application.port.in.WarmUpUseCase.Warmed> warmedUp() {
        return warmUp.done();
    }

    /**
     * Stops the warm-up, the HTTP server, the pool and the embedded database, in that order; also
     * when the JVM exits. Once closed, closing again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(exitHook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: this may be the hook itself
        }
        warmUp.close();
        purger.shutdownNow();
        driver.shutdownNow();
        try {
            // Another instance drives at once instead of after the lease runs out.
            driver.awaitTermination(5, TimeUnit.SECONDS);
            rollouts.stepDown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            System.getLogger("io.pgfleet.server.rollouts").log(System.Logger.Level.INFO,
                    "could not give up the rollout lease: " + e.getMessage());
        }
        webServer.stop();
        storage.close();
        embedded.ifPresent(EmbeddedDatabase::close);
    }
}
