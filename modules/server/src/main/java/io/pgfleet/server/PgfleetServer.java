package io.pgfleet.server;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgfleet.adapter.in.http.HttpApi;
import io.pgfleet.adapter.in.http.HttpMetrics;
import io.pgfleet.adapter.out.postgres.DatabaseSettings;
import io.pgfleet.adapter.out.postgres.EmbeddedDatabase;
import io.pgfleet.adapter.out.postgres.PostgresStorage;
import io.pgfleet.adapter.out.security.JwtAccessTokens;
import io.pgfleet.adapter.out.security.Pbkdf2PasswordHasher;
import io.pgfleet.toml.TomlDocumentParser;
import io.pgfleet.application.port.out.SigningKeyStorePort;
import io.pgfleet.application.service.ApplicationServices;
import io.pgfleet.domain.audit.AuditEntry;
import io.pgfleet.application.service.SecurityBootstrap;
import io.pgfleet.application.service.SecuritySettings;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A running pgfleet server: its database (embedded or external), storage, use cases and HTTP API.
 */
public final class PgfleetServer implements AutoCloseable {

    /** Hard limit on request bodies at the socket; the API itself answers 413 above 256 KiB. */
    private static final long MAX_PAYLOAD_BYTES = 16L * 1024 * 1024;

    private final Optional<EmbeddedDatabase> embedded;
    private final PostgresStorage storage;
    private final WebServer webServer;
    private final SecurityBootstrap.Report bootstrap;
    private final DatabaseSettings database;

    private PgfleetServer(Optional<EmbeddedDatabase> embedded, PostgresStorage storage, WebServer webServer,
                          SecurityBootstrap.Report bootstrap, DatabaseSettings database) {
        this.database = database;
        this.embedded = embedded;
        this.storage = storage;
        this.webServer = webServer;
        this.bootstrap = bootstrap;
    }

    /**
     * Starts everything.
     *
     * @param settings the server settings
     * @return the running server
     */
    public static PgfleetServer start(ServerSettings settings) {
        Optional<EmbeddedDatabase> embedded = settings.dbUrl().isPresent()
                ? Optional.empty()
                : Optional.of(EmbeddedDatabase.start(settings.dataDir().toAbsolutePath()));
        try {
            DatabaseSettings db = embedded.map(e -> e.settings(settings.poolSize()))
                    .orElseGet(() -> new DatabaseSettings(settings.dbUrl().orElseThrow(), settings.dbUser(),
                            settings.dbPassword(), settings.poolSize()));
            PostgresStorage storage = PostgresStorage.open(db);
            ApplicationServices services = services(storage, settings.accessTokenTtl(), Clock.systemUTC());
            SecurityBootstrap.Report report = services.securityBootstrap()
                    .run(settings.adminPassword(), settings.registrationSecret());
            WebServerConfig.Builder builder = WebServer.builder()
                    .host(settings.host())
                    .port(settings.port())
                    .maxPayloadSize(MAX_PAYLOAD_BYTES)
                    .routing(r -> routing(r, services));
            if (settings.tls().enabled()) {
                builder.tls(ServerTls.build(settings.tls()));
            }
            WebServer webServer = builder.build().start();
            return new PgfleetServer(embedded, storage, webServer, report, db);
        } catch (RuntimeException e) {
            embedded.ifPresent(EmbeddedDatabase::close);
            throw e;
        }
    }

    /**
     * The token lifetimes, with the refresh token reuse grace from {@code PGFLEET_REFRESH_REUSE_GRACE}
     * (seconds, 0..300, default 30; see docs/security.md).
     *
     * @return the settings
     */
    static SecuritySettings securitySettings() {
        SecuritySettings d = SecuritySettings.defaults();
        String grace = System.getenv("PGFLEET_REFRESH_REUSE_GRACE");
        if (grace == null || grace.isBlank()) {
            return d;
        }
        try {
            return new SecuritySettings(d.refreshTokenTtl(), d.enrolmentTokenTtl(), Duration.ofSeconds(Long.parseLong(grace.strip())));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PGFLEET_REFRESH_REUSE_GRACE must be 0..300 seconds, got '" + grace + "'");
        }
    }

    /**
     * The use cases on top of the storage adapters.
     *
     * @param storage        the storage
     * @param accessTokenTtl access token lifetime
     * @param clock          the time source
     * @return the wired services
     */
    public static ApplicationServices services(PostgresStorage storage, Duration accessTokenTtl, Clock clock) {
        JwtAccessTokens jwt = new JwtAccessTokens(storage.keys(), accessTokenTtl);
        // A key rotated here is used here at once; other instances pick it up on the first token they meet.
        SigningKeyStorePort keys = new SigningKeyStorePort() {
            @Override
            public List<SigningKey> loadSigningKeys() {
                return storage.keys().loadSigningKeys();
            }

            @Override
            public void saveSigningKey(SigningKey key, AuditEntry audit) {
                storage.keys().saveSigningKey(key, audit);
                jwt.reloadKeys();
            }
        };
        ApplicationServices.SecurityPorts security = new ApplicationServices.SecurityPorts(
                jwt, keys, storage.tokens(),
                storage.users(), storage.users(), new Pbkdf2PasswordHasher(), storage.keys(), storage.tokens(),
                securitySettings());
        return new ApplicationServices(new ApplicationServices.Ports(storage.collectors(), storage.collectors(),
                storage.revisions(), storage.revisions(), storage.revisions(), storage.audit(),
                new TomlDocumentParser(), security, storage.fleet(), storage.fleet(), storage.fleet(), storage.changes(),
                storage.collectors(), storage),
                clock);
    }

    /**
     * The server's complete routing, exposed for tests that start a server of their own.
     *
     * @param routing  the routing to fill
     * @param services the use cases
     */
    public static void routing(HttpRouting.Builder routing, ApplicationServices services) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        HttpApi.register(routing, new HttpApi.UseCases(services.publishConfig(), services.getConfig(),
                services.watchConfig(),
                services.provisionCollector(), services.rollbackConfig(), services.validateConfig(),
                services.configHistory(), services.auditTrail(), new HttpApi.SecurityUseCases(
                services.authenticate(), services.login(), services.refreshToken(), services.registerCollector(),
                services.issueEnrolmentToken(), services.manageUsers(), services.rotateSigningKey(),
                services.revokeCollector()),
                new HttpApi.FleetUseCases(services.reportStatus(), services.pushMetrics(), services.fleetQuery()),
                services.health()), new HttpMetrics(registry, registry::scrape));
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
    public SecurityBootstrap.Report generatedSecrets() {
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

    /** Stops the HTTP server, the pool and the embedded database, in that order. */
    @Override
    public void close() {
        webServer.stop();
        storage.close();
        embedded.ifPresent(EmbeddedDatabase::close);
    }
}
