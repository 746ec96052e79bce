package io.pgfleet.application.service;

import io.pgfleet.application.port.in.AccessUseCases;
import io.pgfleet.application.port.in.CollectorUseCases;
import io.pgfleet.application.port.in.ConfigUseCases;
import io.pgfleet.application.port.in.FleetUseCases;
import io.pgfleet.application.port.in.LayerUseCases;
import io.pgfleet.application.port.in.OperationsUseCases;
import io.pgfleet.application.port.in.UseCases;
import io.pgfleet.application.port.out.AccessTokenPort;
import io.pgfleet.application.port.out.AppendConfigRevisionPort;
import io.pgfleet.application.port.out.CheckDatabasePort;
import io.pgfleet.application.port.out.LoadSessionPort;
import io.pgfleet.application.port.out.ConfigChangeFeedPort;
import io.pgfleet.application.port.out.CountFleetPort;
import io.pgfleet.application.port.out.EnrolmentTokenStorePort;
import io.pgfleet.application.port.out.LayerStorePort;
import io.pgfleet.application.port.out.RegistrationStorePort;
import io.pgfleet.application.port.out.LoadLayersPort;
import io.pgfleet.application.port.out.LoadAuditTrailPort;
import io.pgfleet.application.port.out.LoadCollectorPort;
import io.pgfleet.application.port.out.LoadConfigHistoryPort;
import io.pgfleet.application.port.out.LoadConfigRevisionPort;
import io.pgfleet.application.port.out.LoadFleetPort;
import io.pgfleet.application.port.out.LoadUserPort;
import io.pgfleet.application.port.out.ParseConfigDocumentPort;
import io.pgfleet.application.port.out.PurgeExpiredDataPort;
import io.pgfleet.application.port.out.SamplePartitionsPort;
import io.pgfleet.application.port.out.RecordAuditPort;
import io.pgfleet.application.port.out.PasswordHasherPort;
import io.pgfleet.application.port.out.RefreshTokenStorePort;
import io.pgfleet.application.port.out.RevokeCollectorPort;
import io.pgfleet.application.port.out.RestoredMarksPort;
import io.pgfleet.application.port.out.SaveApplyReportPort;
import io.pgfleet.application.port.out.SaveCollectorPort;
import io.pgfleet.application.port.out.SaveSampleBatchPort;
import io.pgfleet.application.port.out.SaveUserPort;
import io.pgfleet.application.port.out.ServerSecretPort;
import io.pgfleet.application.port.out.SigningKeyStorePort;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds every use case from named outgoing ports: the one place the application is wired, used
 * by the composition root (and by tests that need the whole application). Each port is given by
 * name, so no argument can be passed in the wrong place; {@link Builder#build()} names any port
 * that is missing.
 */
public final class UseCaseFactory {

    /**
     * Refreshes one session may make per minute unless set otherwise. The console refreshes a little
     * before its access token expires (every 5 s at the shortest lifetime, 10 s; every 870 s at the
     * default 900 s), an agent when its access token is refused (once per lifetime, and after a
     * restart), each once more after a refused request: 30 leaves room for all of that and for
     * retries, while a client refreshing back to back stores 43,200 tokens a day at most instead of
     * thousands a minute.
     */
    public static final int DEFAULT_REFRESHES_PER_SESSION = 30;
    /**
     * Sessions one user may hold open unless set otherwise. A person holds one per browser and
     * device, a script or CI job one per run that does not log out; 100 leaves room for all of
     * that, while a login in a loop keeps 100 sessions (and their tokens) instead of one per login
     * for 30 days.
     */
    public static final int DEFAULT_SESSIONS_PER_USER = 100;
    /** The window of {@link Builder#refreshesPerSession}. */
    static final java.time.Duration REFRESH_WINDOW = java.time.Duration.ofMinutes(1);

    private UseCaseFactory() {
    }

    /**
     * The host-only reset of an administrator's password (the server's {@code reset-admin-password}
     * command); deliberately not among the {@link UseCases} the HTTP API is given.
     *
     * @param load          reads users
     * @param save          writes users with their audit entry
     * @param hasher        hashes the new password
     * @param refreshTokens revokes the administrator's sessions
     * @param clock         the time of the reset
     * @return the use case
     */
    public static io.pgfleet.application.port.in.ResetAdministratorPasswordUseCase administratorRecovery(
            LoadUserPort load, SaveUserPort save, PasswordHasherPort hasher, RefreshTokenStorePort refreshTokens, Clock clock) {
        return new AdministratorRecoveryService(Objects.requireNonNull(load, "load"), Objects.requireNonNull(save, "save"),
                Objects.requireNonNull(hasher, "hasher"), Objects.requireNonNull(refreshTokens, "refreshTokens"),
                Objects.requireNonNull(clock, "clock"));
    }

    /** @return a builder to name the outgoing ports on */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects the outgoing ports by name, then builds the use cases. */
    public static final class Builder {
        private LoadCollectorPort loadCollector;
        private SaveCollectorPort saveCollector;
        private RevokeCollectorPort revokeCollector;
        private LoadConfigRevisionPort loadRevision;
        private AppendConfigRevisionPort appendRevision;
        private LoadConfigHistoryPort loadHistory;
        private ConfigChangeFeedPort changes;
        private ParseConfigDocumentPort parser;
        private LoadAuditTrailPort loadAudit;
        private SaveApplyReportPort saveReport;
        private RestoredMarksPort restoredMarks;
        private SaveSampleBatchPort saveBatch;
        private LoadFleetPort loadFleet;
        private CountFleetPort countFleet;
        private CheckDatabasePort database;
        private LoadUserPort loadUser;
        private SaveUserPort saveUser;
        private PasswordHasherPort hasher;
        private AccessTokenPort accessTokens;
        private SigningKeyStorePort signingKeys;
        private RefreshTokenStorePort refreshTokens;
        private LoadSessionPort sessions;
        private EnrolmentTokenStorePort enrolments;
        private ServerSecretPort secrets;
        private PurgeExpiredDataPort purge;
        private SamplePartitionsPort samplePartitions;
        private RecordAuditPort recordAudit;
        private LoginLimitSettings loginLimits = LoginLimitSettings.defaults();
        private RefreshTokenStorePort.RateLimit refreshRate = new RefreshTokenStorePort.RateLimit(
                DEFAULT_REFRESHES_PER_SESSION, REFRESH_WINDOW);
        private RefreshTokenStorePort.SessionLimit sessionLimit = new RefreshTokenStorePort.SessionLimit(
                DEFAULT_SESSIONS_PER_USER);
        private io.pgfleet.domain.fleet.SampleRate sampleRate = io.pgfleet.domain.fleet.SampleRate.defaults();
        private LayerStorePort layerStore;
        private RegistrationStorePort registrationStore;
        private LoadLayersPort loadLayers;
        private io.pgfleet.application.port.out.RolloutStorePort rolloutStore;
        private io.pgfleet.application.port.out.LoadRolloutsPort loadRollouts;
        private io.pgfleet.application.port.out.RolloutLeasePort rolloutLease;
        private RolloutSettings rolloutSettings = new RolloutSettings("pgfleet", java.time.Duration.ofSeconds(15));
        private SecuritySettings settings = SecuritySettings.defaults();
        private RetentionSettings retention = RetentionSettings.defaults();
        private Clock clock = Clock.systemUTC();
        private Clock hostClock;
        // Optional: without it, layer publishes still log where their time went.
        private io.pgfleet.application.port.out.RecordLayerChangeTimingPort layerTimings = t -> { };

        private Builder() {
        }

        /** @param port reading collectors @return this builder */
        public Builder loadCollector(LoadCollectorPort port) {
            this.loadCollector = port;
            return this;
        }

        /** @param port storing new collectors @return this builder */
        public Builder saveCollector(SaveCollectorPort port) {
            this.saveCollector = port;
            return this;
        }

        /** @param port revoking collectors @return this builder */
        public Builder revokeCollector(RevokeCollectorPort port) {
            this.revokeCollector = port;
            return this;
        }

        /** @param port reading revisions @return this builder */
        public Builder loadRevision(LoadConfigRevisionPort port) {
            this.loadRevision = port;
            return this;
        }

        /** @param port appending revisions race-free @return this builder */
        public Builder appendRevision(AppendConfigRevisionPort port) {
            this.appendRevision = port;
            return this;
        }

        /** @param port reading history pages @return this builder */
        public Builder loadHistory(LoadConfigHistoryPort port) {
            this.loadHistory = port;
            return this;
        }

        /** @param port publish announcements from every instance @return this builder */
        public Builder changes(ConfigChangeFeedPort port) {
            this.changes = port;
            return this;
        }

        /** @param port recording where layer publishes spend their time (optional) @return this builder */
        public Builder layerTimings(io.pgfleet.application.port.out.RecordLayerChangeTimingPort port) {
            this.layerTimings = java.util.Objects.requireNonNull(port, "port");
            return this;
        }

        /** @param port reading TOML syntax @return this builder */
        public Builder parser(ParseConfigDocumentPort port) {
            this.parser = port;
            return this;
        }

        /** @param port reading the audit trail @return this builder */
        public Builder loadAudit(LoadAuditTrailPort port) {
            this.loadAudit = port;
            return this;
        }

        /** @param port storing apply reports @return this builder */
        public Builder saveReport(SaveApplyReportPort port) {
            this.saveReport = port;
            return this;
        }

        /** @param port the restore marks on apply statuses @return this builder */
        public Builder restoredMarks(RestoredMarksPort port) {
            this.restoredMarks = port;
            return this;
        }

        /** @param port storing sample batches exactly once @return this builder */
        public Builder saveBatch(SaveSampleBatchPort port) {
            this.saveBatch = port;
            return this;
        }

        /** @param port the fleet view and samples @return this builder */
        public Builder loadFleet(LoadFleetPort port) {
            this.loadFleet = port;
            return this;
        }

        /** @param port the fleet's counts by state, for the gauges @return this builder */
        public Builder countFleet(CountFleetPort port) {
            this.countFleet = port;
            return this;
        }

        /** @param port the database health check @return this builder */
        public Builder database(CheckDatabasePort port) {
            this.database = port;
            return this;
        }

        /** @param port reading users @return this builder */
        public Builder loadUser(LoadUserPort port) {
            this.loadUser = port;
            return this;
        }

        /** @param port storing users @return this builder */
        public Builder saveUser(SaveUserPort port) {
            this.saveUser = port;
            return this;
        }

        /** @param port password hashing @return this builder */
        public Builder hasher(PasswordHasherPort port) {
            this.hasher = port;
            return this;
        }

        /** @param port signing and verifying access tokens @return this builder */
        public Builder accessTokens(AccessTokenPort port) {
            this.accessTokens = port;
            return this;
        }

        /** @param port the shared signing keys @return this builder */
        public Builder signingKeys(SigningKeyStorePort port) {
            this.signingKeys = port;
            return this;
        }

        /** @param port whether the session an access token names is going on @return this builder */
        public Builder sessions(LoadSessionPort port) {
            this.sessions = port;
            return this;
        }

        /** @param port rotating refresh tokens @return this builder */
        public Builder refreshTokens(RefreshTokenStorePort port) {
            this.refreshTokens = port;
            return this;
        }

        /** @param port one-time enrolment tokens @return this builder */
        public Builder enrolments(EnrolmentTokenStorePort port) {
            this.enrolments = port;
            return this;
        }

        /** @param port server-wide secrets @return this builder */
        public Builder secrets(ServerSecretPort port) {
            this.secrets = port;
            return this;
        }

        /** @param port deleting rows past their retention @return this builder */
        public Builder purge(PurgeExpiredDataPort port) {
            this.purge = port;
            return this;
        }

        /** @param port the samples table's daily partitions @return this builder */
        public Builder samplePartitions(SamplePartitionsPort port) {
            this.samplePartitions = port;
            return this;
        }

        /** @param port audit entries of refusals (failed logins, reused refresh tokens) @return this builder */
        public Builder recordAudit(RecordAuditPort port) {
            this.recordAudit = port;
            return this;
        }

        /** @param value limits on failed logins and registrations (defaults when not given) @return this builder */
        public Builder loginLimits(LoginLimitSettings value) {
            this.loginLimits = Objects.requireNonNull(value, "loginLimits");
            return this;
        }

        /**
         * How often one session may refresh, on all instances together: at most this many tokens of
         * its refresh-token family stored within any minute ({@link #DEFAULT_REFRESHES_PER_SESSION}
         * when not given).
         *
         * @param perMinute refreshes per session per minute, at least 1
         * @return this builder
         */
        public Builder refreshesPerSession(int perMinute) {
            this.refreshRate = new RefreshTokenStorePort.RateLimit(perMinute, REFRESH_WINDOW);
            return this;
        }

        /**
         * How many sessions one user may hold open, on all instances together
         * ({@link #DEFAULT_SESSIONS_PER_USER} when not given): a login past it ends the user's oldest.
         *
         * @param sessions open sessions per user, at least 1
         * @return this builder
         */
        public Builder sessionsPerUser(int sessions) {
            this.sessionLimit = new RefreshTokenStorePort.SessionLimit(sessions);
            return this;
        }

        /** @param value samples each collector may push to this instance (defaults when not given) @return this builder */
        public Builder sampleRate(io.pgfleet.domain.fleet.SampleRate value) {
            this.sampleRate = Objects.requireNonNull(value, "sampleRate");
            return this;
        }

        /** @param value what is kept how long (defaults when not given) @return this builder */
        public Builder retention(RetentionSettings value) {
            this.retention = Objects.requireNonNull(value, "retention");
            return this;
        }

        /** @param port changes of layers, groups and labels with effective revisions @return this builder */
        public Builder layerStore(LayerStorePort port) {
            this.layerStore = port;
            return this;
        }

        /** @param port registrations, all or nothing, with their idempotency keys @return this builder */
        public Builder registrationStore(RegistrationStorePort port) {
            this.registrationStore = port;
            return this;
        }

        /** @param port reading layers, groups and effective revisions @return this builder */
        public Builder loadLayers(LoadLayersPort port) {
            this.loadLayers = port;
            return this;
        }

        /** @param port rollout steps with their layer changes @return this builder */
        public Builder rolloutStore(io.pgfleet.application.port.out.RolloutStorePort port) {
            this.rolloutStore = port;
            return this;
        }

        /** @param port reading rollouts @return this builder */
        public Builder loadRollouts(io.pgfleet.application.port.out.LoadRolloutsPort port) {
            this.loadRollouts = port;
            return this;
        }

        /** @param port the rollout driver's lease @return this builder */
        public Builder rolloutLease(io.pgfleet.application.port.out.RolloutLeasePort port) {
            this.rolloutLease = port;
            return this;
        }

        /** @param value this instance's name and the driver's lease (a 15 s lease when not given) @return this builder */
        public Builder rollouts(RolloutSettings value) {
            this.rolloutSettings = Objects.requireNonNull(value, "rollouts");
            return this;
        }

        /** @param value token lifetimes (defaults when not given) @return this builder */
        public Builder settings(SecuritySettings value) {
            this.settings = Objects.requireNonNull(value, "settings");
            return this;
        }

        /** @param value the time source for created-at stamps (the system clock when not given) @return this builder */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * The host's own clock, where {@link #clock} follows another (the database's): retention
         * measures ages from the earlier of the host's clock and the database's, so that neither
         * clock jumping ahead deletes what is not yet due.
         *
         * @param value this host's clock ({@link #clock} when not given)
         * @return this builder
         */
        public Builder hostClock(Clock value) {
            this.hostClock = Objects.requireNonNull(value, "hostClock");
            return this;
        }

        /**
         * Wires every use case.
         *
         * @return the use cases by context
         * @throws IllegalStateException naming every port that was not given
         */
        public UseCases build() {
            requireAll();
            DocumentValidator validator = new DocumentValidator(parser);
            EffectiveRevisionCache effective = new EffectiveRevisionCache(loadLayers);
            EffectiveConfigService getConfig = new EffectiveConfigService(loadCollector, loadRevision, effective);
            WatchService watch = new WatchService(getConfig);
            // One subscription, in this order: the cache learns of a change before the watchers it wakes read it.
            // Both are told whichever fails, and the feed handles the pair as one listener, so they never
            // disagree on whether announcements arrive.
            changes.subscribe(new OrderedListeners(List.of(effective, watch)));
            Announcer announced = new CommittedChanges(effective, watch);
            LayerComposer composer = new LayerComposer(parser);
            OwnLayerAppender own = new LayeredOwnAppender(layerStore, composer, announced);
            ConfigUseCases config = new ConfigUseCases(
                    new PublishConfigService(own, validator, clock), getConfig, watch,
                    new RollbackConfigService(loadCollector, loadRevision, own, validator, clock),
                    validator, new ConfigHistoryService(loadCollector, loadHistory), new RestoredMarks(restoredMarks, clock));

            HeldWatchesOfCallers callerWatches = new HeldWatchesOfCallers();
            ActivePrincipals active = new ActivePrincipals(callerWatches);
            // Changes of users and collectors made on other instances end their watches here too.
            changes.subscribe(active);
            TokenIssuer issuer = new TokenIssuer(accessTokens, refreshTokens, settings, clock);
            LoginThrottle throttle = new LoginThrottle(loginLimits);
            RevokeCollectorService revoke = new RevokeCollectorService(revokeCollector, refreshTokens, clock, active,
                    loadCollector);
            LayerChangeService layers = new LayerChangeService(layerStore, loadLayers, composer,
                    id -> {
                        active.forget(id.value());
                        // Read your writes: this instance serves no effective document of it from now on.
                        effective.forget(id);
                    }, announced, clock,
                    layerTimings);
            RegistrationService registration = new RegistrationService(secrets, enrolments,
                    issuer, settings, clock, throttle, recordAudit, registrationStore, layers);
            changes.subscribe(new OwnVersionReconciler(loadLayers, effective::remembered, layers));
            ArrivalsGetTheirLayers arrivals = new ArrivalsGetTheirLayers(
                    new ProvisionCollectorService(loadCollector, saveCollector, clock), registration, layers);
            CollectorUseCases collectors = new CollectorUseCases(arrivals, arrivals, registration, revoke,
                    new DecommissionedIds(loadCollector));

            LoginService login = new LoginService(loadUser, loadCollector, hasher, refreshTokens, issuer, clock, throttle,
                    recordAudit, settings.refreshReuseGrace(), active, refreshRate, sessionLimit);
            SigningKeyService keys = new SigningKeyService(signingKeys, accessTokens.keyRetirementDelay(), clock);
            AccessUseCases access = new AccessUseCases(
                    new AuthenticationService(accessTokens, loadUser, loadCollector, sessions, clock, active), login,
                    login, login,
                    new UserService(loadUser, saveUser, hasher, refreshTokens, clock, active), keys,
                    new SecurityBootstrapService(keys, saveUser, secrets, hasher, clock), callerWatches);

            FleetService fleet = new FleetService(saveReport, saveBatch, loadFleet, countFleet, loadCollector, clock,
                    new SampleRateLimiter(sampleRate));
            return new UseCases(config, collectors, access, new FleetUseCases(fleet, fleet, fleet),
                    new OperationsUseCases(new AuditTrailService(loadAudit), new CachedHealth(database, System::nanoTime),
                            new RetentionService(purge, samplePartitions, retention, hostClock == null ? clock : hostClock),
                            new WarmUpService(validator, composer)),
                    new LayerUseCases(layers, layers, layers, layers, layers, getConfig, layers, layers),
                    rollouts(composer, announced));
        }

        private io.pgfleet.application.port.in.RolloutUseCases rollouts(LayerComposer composer,
                                                                        java.util.function.Consumer<LayerComposer.Save> announced) {
            RolloutService rollouts = new RolloutService(rolloutStore, loadRollouts, rolloutLease, composer, announced,
                    rolloutSettings, clock);
            return new io.pgfleet.application.port.in.RolloutUseCases(rollouts, rollouts, rollouts, rollouts);
        }

        private void requireAll() {
            List<String> missing = new ArrayList<>();
            Object[][] ports = {{loadCollector, "loadCollector"}, {saveCollector, "saveCollector"},
                {revokeCollector, "revokeCollector"}, {loadRevision, "loadRevision"}, {appendRevision, "appendRevision"},
                {loadHistory, "loadHistory"}, {changes, "changes"}, {parser, "parser"}, {loadAudit, "loadAudit"},
                {saveReport, "saveReport"}, {restoredMarks, "restoredMarks"}, {saveBatch, "saveBatch"}, {loadFleet, "loadFleet"}, {database, "database"},
                {countFleet, "countFleet"}, {loadUser, "loadUser"}, {saveUser, "saveUser"}, {hasher, "hasher"}, {accessTokens, "accessTokens"},
                {signingKeys, "signingKeys"}, {refreshTokens, "refreshTokens"}, {sessions, "sessions"}, {enrolments, "enrolments"},
                {secrets, "secrets"}, {purge, "purge"}, {samplePartitions, "samplePartitions"}, {recordAudit, "recordAudit"}, {layerStore, "layerStore"},
                {registrationStore, "registrationStore"},
                {loadLayers, "loadLayers"}, {rolloutStore, "rolloutStore"}, {loadRollouts, "loadRollouts"},
                {rolloutLease, "rolloutLease"}};
            for (Object[] port : ports) {
                if (port[0] == null) {
                    missing.add((String) port[1]);
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalStateException("outgoing ports not given: " + String.join(", ", missing));
            }
        }
    }
}
