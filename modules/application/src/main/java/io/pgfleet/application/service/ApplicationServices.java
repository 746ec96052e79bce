package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AuditTrailQuery;
import io.pgfleet.application.port.in.AuthenticateQuery;
import io.pgfleet.application.port.in.IssueEnrolmentTokenUseCase;
import io.pgfleet.application.port.in.LoginUseCase;
import io.pgfleet.application.port.in.ManageUsersUseCase;
import io.pgfleet.application.port.in.RefreshTokenUseCase;
import io.pgfleet.application.port.in.RegisterCollectorUseCase;
import io.pgfleet.application.port.in.RevokeCollectorUseCase;
import io.pgfleet.application.port.in.RotateSigningKeyUseCase;
import io.pgfleet.application.port.in.ConfigHistoryQuery;
import io.pgfleet.application.port.in.FleetQuery;
import io.pgfleet.application.port.in.GetConfigQuery;
import io.pgfleet.application.port.in.HealthQuery;
import io.pgfleet.application.port.in.PushMetricsUseCase;
import io.pgfleet.application.port.in.ReportStatusUseCase;
import io.pgfleet.application.port.in.ProvisionCollectorUseCase;
import io.pgfleet.application.port.in.PublishConfigUseCase;
import io.pgfleet.application.port.in.RollbackConfigUseCase;
import io.pgfleet.application.port.in.ValidateConfigQuery;
import io.pgfleet.application.port.in.WatchConfigQuery;
import io.pgfleet.application.port.out.CheckDatabasePort;
import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.application.port.out.AccessTokenPort;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort;
import io.pgfleet.application.port.out.LoadUserPort;
import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.application.port.out.RevokeCollectorPort;
import io.pgfleet.application.port.out.SaveUserPort;
import io.pgfleet.application.port.out.ServerSecretPort;
import io.pgfleet.application.port.out.SigningKeyStorePort;
import io.pgfleet.application.port.out.LoadAuditTrailPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigHistoryPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.application.port.out.LoadFleetPort;
import io.pgfleet.application.port.out.SaveApplyReportPort;
import io.pgfleet.application.port.out.SaveSampleBatchPort;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.application.port.out.SaveCollectorPort;

import java.time.Clock;
import java.util.Objects;

/**
 * Assembles the use cases from the outgoing ports; used by the composition root only.
 */
public final class ApplicationServices {

    /**
     * The outgoing ports the use cases need.
     *
     * @param loadCollector  reading collectors
     * @param saveCollector  storing new collectors
     * @param loadRevision   reading configuration revisions
     * @param appendRevision appending revisions race-free
     * @param loadHistory    reading history pages
     * @param loadAudit      reading the audit trail
     * @param parser         reading TOML syntax
     * @param security       the identity and access ports
     * @param saveReport     apply reports
     * @param saveBatch      sample batches
     * @param loadFleet      the fleet view and samples
     * @param changes        publish announcements from every instance
     * @param revoke         revoking collectors
     * @param database       the database health check
     */
    public record Ports(LoadCollectorPort loadCollector, SaveCollectorPort saveCollector,
                        LoadConfigRevisionPort loadRevision, AppendConfigRevisionPort appendRevision,
                        LoadConfigHistoryPort loadHistory, LoadAuditTrailPort loadAudit,
                        ParseConfigDocumentPort parser, SecurityPorts security, SaveApplyReportPort saveReport,
                        SaveSampleBatchPort saveBatch, LoadFleetPort loadFleet, ConfigChangeFeedPort changes,
                        RevokeCollectorPort revoke, CheckDatabasePort database) {
        /** Requires every port. */
        public Ports {
            Objects.requireNonNull(loadCollector, "loadCollector");
            Objects.requireNonNull(saveCollector, "saveCollector");
            Objects.requireNonNull(loadRevision, "loadRevision");
            Objects.requireNonNull(appendRevision, "appendRevision");
            Objects.requireNonNull(loadHistory, "loadHistory");
            Objects.requireNonNull(loadAudit, "loadAudit");
            Objects.requireNonNull(parser, "parser");
            Objects.requireNonNull(security, "security");
            Objects.requireNonNull(saveReport, "saveReport");
            Objects.requireNonNull(saveBatch, "saveBatch");
            Objects.requireNonNull(loadFleet, "loadFleet");
            Objects.requireNonNull(changes, "changes");
            Objects.requireNonNull(revoke, "revoke");
            Objects.requireNonNull(database, "database");
        }
    }

    /**
     * The outgoing ports of identity and access.
     *
     * @param accessTokens  signing and verifying access tokens
     * @param signingKeys   the shared signing keys
     * @param refreshTokens rotating refresh tokens
     * @param loadUser      reading users
     * @param saveUser      storing users
     * @param hasher        password hashing
     * @param secrets       server-wide secrets
     * @param enrolments    enrolment tokens
     * @param settings      token lifetimes
     */
    public record SecurityPorts(AccessTokenPort accessTokens, SigningKeyStorePort signingKeys,
                                RefreshTokenStorePort refreshTokens, LoadUserPort loadUser, SaveUserPort saveUser,
                                PasswordHasherPort hasher, ServerSecretPort secrets, EnrolmentTokenStorePort enrolments,
                                SecuritySettings settings) {
        /** Requires every port. */
        public SecurityPorts {
            Objects.requireNonNull(accessTokens, "accessTokens");
            Objects.requireNonNull(signingKeys, "signingKeys");
            Objects.requireNonNull(refreshTokens, "refreshTokens");
            Objects.requireNonNull(loadUser, "loadUser");
            Objects.requireNonNull(saveUser, "saveUser");
            Objects.requireNonNull(hasher, "hasher");
            Objects.requireNonNull(secrets, "secrets");
            Objects.requireNonNull(enrolments, "enrolments");
            Objects.requireNonNull(settings, "settings");
        }
    }

    private final PublishConfigUseCase publishConfig;
    private final GetConfigQuery getConfig;
    private final ProvisionCollectorUseCase provisionCollector;
    private final RollbackConfigUseCase rollbackConfig;
    private final ValidateConfigQuery validateConfig;
    private final ConfigHistoryQuery configHistory;
    private final AuditTrailQuery auditTrail;
    private final LoginService login;
    private final AuthenticationService authentication;
    private final RegistrationService registration;
    private final UserService users;
    private final SigningKeyService signingKeys;
    private final SecurityBootstrap securityBootstrap;
    private final FleetService fleet;
    private final WatchService watch;
    private final RevokeCollectorService revoke;
    private final HealthQuery health;

    /**
     * Wires the services.
     *
     * @param ports the outgoing ports
     * @param clock the time source for created-at stamps
     */
    public ApplicationServices(Ports ports, Clock clock) {
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(clock, "clock");
        DocumentValidator validator = new DocumentValidator(ports.parser());
        LatestRevisionCache latest = new LatestRevisionCache(ports.loadRevision(), ports.appendRevision());
        // Registered first, so the cache learns of a publish before the watchers it wakes read it.
        ports.changes().subscribe(latest);
        this.publishConfig = new PublishConfigService(latest, validator, clock);
        this.getConfig = new GetConfigService(ports.loadCollector(), latest);
        this.provisionCollector = new ProvisionCollectorService(ports.loadCollector(), ports.saveCollector(), clock);
        this.rollbackConfig = new RollbackConfigService(ports.loadCollector(), ports.loadRevision(),
                latest, validator, clock);
        this.validateConfig = new ValidateConfigService(validator);
        this.configHistory = new ConfigHistoryService(ports.loadCollector(), ports.loadHistory());
        this.auditTrail = new AuditTrailService(ports.loadAudit());
        SecurityPorts sec = ports.security();
        ActivePrincipals active = new ActivePrincipals();
        TokenIssuer issuer = new TokenIssuer(sec.accessTokens(), sec.refreshTokens(), sec.settings(), clock);
        this.login = new LoginService(sec.loadUser(), ports.loadCollector(), sec.hasher(), sec.refreshTokens(), issuer, clock,
                sec.settings().refreshReuseGrace());
        this.authentication = new AuthenticationService(sec.accessTokens(), sec.loadUser(), ports.loadCollector(), clock,
                active);
        this.registration = new RegistrationService(sec.secrets(), sec.enrolments(), ports.loadCollector(),
                ports.saveCollector(), issuer, sec.settings(), clock);
        this.users = new UserService(sec.loadUser(), sec.saveUser(), sec.hasher(), sec.refreshTokens(), clock, active);
        this.signingKeys = new SigningKeyService(sec.signingKeys(), clock);
        this.securityBootstrap = new SecurityBootstrap(signingKeys, sec.saveUser(), sec.secrets(), sec.hasher(), clock);
        this.fleet = new FleetService(ports.saveReport(), ports.saveBatch(), ports.loadFleet(), ports.loadCollector(), clock);
        this.watch = new WatchService(getConfig);
        ports.changes().subscribe(watch);
        this.revoke = new RevokeCollectorService(ports.revoke(), sec.refreshTokens(), clock, active);
        CheckDatabasePort database = ports.database();
        this.health = database::checkDatabase;
    }

    /** @return readiness */
    public HealthQuery health() {
        return health;
    }

    /** @return revoking collectors */
    public RevokeCollectorUseCase revokeCollector() {
        return revoke;
    }

    /** @return long-poll watches */
    public WatchConfigQuery watchConfig() {
        return watch;
    }

    /** @return agents reporting apply outcomes */
    public ReportStatusUseCase reportStatus() {
        return fleet;
    }

    /** @return agents pushing samples */
    public PushMetricsUseCase pushMetrics() {
        return fleet;
    }

    /** @return the fleet view and samples */
    public FleetQuery fleetQuery() {
        return fleet;
    }

    /** @return logging in */
    public LoginUseCase login() {
        return login;
    }

    /** @return refreshing tokens */
    public RefreshTokenUseCase refreshToken() {
        return login;
    }

    /** @return authenticating and authorising requests */
    public AuthenticateQuery authenticate() {
        return authentication;
    }

    /** @return agents registering */
    public RegisterCollectorUseCase registerCollector() {
        return registration;
    }

    /** @return issuing enrolment tokens */
    public IssueEnrolmentTokenUseCase issueEnrolmentToken() {
        return registration;
    }

    /** @return managing users */
    public ManageUsersUseCase manageUsers() {
        return users;
    }

    /** @return rotating the signing key */
    public RotateSigningKeyUseCase rotateSigningKey() {
        return signingKeys;
    }

    /** @return the start-up security bootstrap */
    public SecurityBootstrap securityBootstrap() {
        return securityBootstrap;
    }

    /** @return publishing configurations */
    public PublishConfigUseCase publishConfig() {
        return publishConfig;
    }

    /** @return reading configurations */
    public GetConfigQuery getConfig() {
        return getConfig;
    }

    /** @return pre-provisioning collectors */
    public ProvisionCollectorUseCase provisionCollector() {
        return provisionCollector;
    }

    /** @return rolling back to an earlier version */
    public RollbackConfigUseCase rollbackConfig() {
        return rollbackConfig;
    }

    /** @return dry-run validation */
    public ValidateConfigQuery validateConfig() {
        return validateConfig;
    }

    /** @return reading history */
    public ConfigHistoryQuery configHistory() {
        return configHistory;
    }

    /** @return reading the audit trail */
    public AuditTrailQuery auditTrail() {
        return auditTrail;
    }
}
