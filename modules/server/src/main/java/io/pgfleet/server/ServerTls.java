package io.pgfleet.server;

import io.helidon.common.configurable.Resource;
import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.common.tls.TlsConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Builds the server's TLS from {@link TlsSettings}. */
final class ServerTls {

    private ServerTls() {
    }

    static Tls build(TlsSettings s) {
        TlsConfig.Builder tls = TlsConfig.builder();
        if (s.keystore().isPresent()) {
            loadKeystore(tls, s.keystore().get(), s.keystorePassword());
        } else {
            tls.privateKey(k -> k.pem(p -> p.key(Resource.create(s.keyFile().orElseThrow()))))
                    .privateKeyCertChain(k -> k.pem(p -> p.certChain(Resource.create(s.certFile().orElseThrow()))));
        }
        // Client certificates name agents, not host names: verify the chain, not an endpoint identity.
        s.clientCaFile().ifPresent(ca -> tls.trust(certificates(ca)).clientAuth(TlsClientAuth.REQUIRED)
                .endpointIdentificationAlgorithm(Tls.ENDPOINT_IDENTIFICATION_NONE));
        return tls.build();
    }

    private static void loadKeystore(TlsConfig.Builder tls, Path file, String password) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password.toCharArray());
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias)) {
                    Key key = ks.getKey(alias, password.toCharArray());
                    List<X509Certificate> chain = new ArrayList<>();
                    for (Certificate c : ks.getCertificateChain(alias)) {
                        chain.add((X509Certificate) c);
                    }
                    tls.privateKey((PrivateKey) key).privateKeyCertChain(chain);
                    return;
                }
            }
            throw new IllegalArgumentException("the keystore " + file + " holds no private key");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS keystore " + file, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the TLS keystore " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("no certificate in " + pem);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read certificates from " + pem + ": " + e.getMessage(), e);
        }
    }
}
