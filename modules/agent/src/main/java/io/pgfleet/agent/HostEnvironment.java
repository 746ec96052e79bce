package io.pgfleet.agent;

import io.pgfleet.agent.core.Credentials;
import io.pgfleet.agent.core.HostFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The host's file system and environment, as the core sees them: password and disk checks, and the
 * enrolment credentials, read afresh each time so an operator can drop a new enrolment token in
 * place while the agent runs.
 */
final class HostEnvironment implements HostFiles, Credentials {

    /** An enrolment token in the environment, used when the local file names no token file. */
    static final String TOKEN_ENV = "PGFLEET_ENROLMENT_TOKEN";

    private final LocalSettings settings;

    HostEnvironment(LocalSettings settings) {
        this.settings = settings;
    }

    @Override
    public boolean readableFile(String path) {
        Path p = Path.of(path);
        return Files.isRegularFile(p) && Files.isReadable(p);
    }

    @Override
    public Optional<String> realPath(String path) {
        try {
            return Optional.of(Path.of(path).toRealPath().toString());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean exists(String path) {
        return Files.exists(Path.of(path));
    }

    @Override
    public boolean envSet(String name) {
        return System.getenv(name) != null;
    }

    @Override
    public Optional<String> enrolmentToken() {
        if (settings.enrolmentTokenFile().isPresent()) {
            return read(settings.enrolmentTokenFile().get());
        }
        return Optional.ofNullable(System.getenv(TOKEN_ENV)).map(String::strip).filter(t -> !t.isEmpty());
    }

    @Override
    public Optional<String> registrationSecret() {
        Optional<Path> file = settings.registrationSecretFile();
        if (file.isPresent() && read(file.get()).isEmpty()) {
            // Configured but unusable: say which file, rather than "no credential at all".
            throw new IllegalStateException("cannot read the registration secret from " + file.get()
                    + " (registration_secret_file): missing, empty or not readable by the agent");
        }
        return file.flatMap(HostEnvironment::read);
    }

    @Override
    public String tokenLocation() {
        return settings.enrolmentTokenFile().map(f -> f + " (enrolment_token_file)")
                .orElse("a file named by enrolment_token_file in the agent's local file (or " + TOKEN_ENV
                        + " in its environment, then restart it)");
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).strip()).filter(t -> !t.isEmpty());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
