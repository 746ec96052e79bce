package io.pgfleet.cli;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Optional;

/**
 * TLS for talking to an HTTPS server: trust a private CA ({@code --ca-file}, PEM) and present a
 * client certificate ({@code --cert} PEM chain + {@code --key} unencrypted PKCS#8 PEM) where the
 * server requires one (mTLS). Without either, the JDK's default trust store applies.
 */
final class Tls {

    private Tls() {
    }

    static Optional<SSLContext> context(Optional<Path> caFile, Optional<Path> cert, Optional<Path> key) {
        if (caFile.isEmpty() && cert.isEmpty() && key.isEmpty()) {
            return Optional.empty();
        }
        if (cert.isPresent() != key.isPresent()) {
            throw new CliException(ExitCodes.USAGE, "--cert and --key go together");
        }
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile.isPresent()) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates("the CA file", "--ca-file, PGFLEET_CA_FILE", caFile.get())) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
                tmf.init(trust);
            } else {
                tmf.init((KeyStore) null);
            }
            KeyManagerFactory kmf = null;
            if (cert.isPresent()) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                char[] none = new char[0];
                ks.setKeyEntry("client", privateKey(key.get()), none, certificates("the client certificate",
                        "--cert, PGFLEET_CLIENT_CERT", cert.get()).toArray(Certificate[]::new));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, none);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return Optional.of(ctx);
        } catch (IOException | GeneralSecurityException e) {
            throw new CliException(ExitCodes.USAGE, "cannot set up TLS: " + e.getMessage());
        }
    }

    private static Collection<? extends Certificate> certificates(String what, String option, Path pem)
            throws GeneralSecurityException {
        Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(read(what, option, pem)));
        if (certs.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + pem);
        }
        return certs;
    }

    /**
     * A PEM file's bytes. A file that is not there is said to be missing, with where its name came
     * from: the JDK's message is the path alone ({@code cannot set up TLS: /etc/pgfleet/ca.pem}).
     */
    private static byte[] read(String what, String option, Path pem) {
        try {
            return Files.readAllBytes(pem);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.USAGE, "cannot set up TLS: " + what + " " + pem + " does not exist ("
                    + option + ")");
        } catch (AccessDeniedException e) {
            throw new CliException(ExitCodes.USAGE, "cannot set up TLS: " + what + " " + pem + " cannot be read "
                    + "(permission denied; " + option + ")");
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot set up TLS: " + what + " " + pem + " cannot be read ("
                    + e.getMessage() + "; " + option + ")");
        }
    }

    private static PrivateKey privateKey(Path pem) throws GeneralSecurityException {
        String text = new String(read("the client key", "--key, PGFLEET_CLIENT_KEY", pem), StandardCharsets.US_ASCII);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new GeneralSecurityException(pem + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException tryNext) {
                // not this algorithm
            }
        }
        throw new GeneralSecurityException("unsupported key algorithm in " + pem);
    }
}
