package io.pgfleet.server;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS for the API: the server's key and certificate (PEM files or a PKCS#12 keystore) and,
 * optionally, the CA whose client certificates are required (mTLS).
 *
 * @param certFile         PEM certificate chain
 * @param keyFile          PEM private key (PKCS#8)
 * @param keystore         PKCS#12 keystore with the key and its chain, instead of the PEM files
 * @param keystorePassword its password
 * @param clientCaFile     PEM CA certificates; when set every client must present a certificate it signed
 */
public record TlsSettings(Optional<Path> certFile, Optional<Path> keyFile, Optional<Path> keystore,
                          String keystorePassword, Optional<Path> clientCaFile) {

    /** Requires a consistent choice: PEM pair or keystore, not both, nothing half. */
    public TlsSettings {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(keystorePassword, "keystorePassword");
        Objects.requireNonNull(clientCaFile, "clientCaFile");
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw new IllegalArgumentException("tls_cert and tls_key go together");
        }
        if (certFile.isPresent() && keystore.isPresent()) {
            throw new IllegalArgumentException("use either tls_cert/tls_key (PEM) or tls_keystore (PKCS#12), not both");
        }
        if (clientCaFile.isPresent() && certFile.isEmpty() && keystore.isEmpty()) {
            throw new IllegalArgumentException("tls_client_ca (mTLS) needs TLS: set tls_cert/tls_key or tls_keystore");
        }
    }

    /**
     * Plain HTTP.
     *
     * @return settings with TLS off
     */
    public static TlsSettings none() {
        return new TlsSettings(Optional.empty(), Optional.empty(), Optional.empty(), "", Optional.empty());
    }

    /**
     * Whether TLS is on.
     *
     * @return true when a key is configured
     */
    public boolean enabled() {
        return certFile.isPresent() || keystore.isPresent();
    }
}
