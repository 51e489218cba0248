package io.chatgateway.server.tls;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Certificates made for a test run (nothing secret is committed), and clients that trust exactly them. */
public final class TestCertificates {
    private TestCertificates() {
    }

    private static X509Bundle ca;

    /** The test run's certificate authority, which issues every server certificate here. */
    public static synchronized X509Bundle authority() {
        if (ca == null) {
            try {
                ca = new CertificateBuilder()
                        .subject("CN=chat-gateway test CA")
                        .setIsCertificateAuthority(true)
                        .notBefore(Instant.now().minus(1, ChronoUnit.HOURS))
                        .notAfter(Instant.now().plus(1, ChronoUnit.DAYS))
                        .ecp256()
                        .buildSelfSigned();
            } catch (Exception e) {
                throw new AssertionError("could not make a test CA", e);
            }
        }
        return ca;
    }

    /** A server certificate for 127.0.0.1 and localhost, EC P-256, issued by {@link #authority()}. */
    public static X509Bundle server(String commonName) {
        try {
            return new CertificateBuilder()
                    .subject("CN=" + commonName)
                    .addSanDnsName("localhost")
                    .addSanIpAddress("127.0.0.1")
                    .notBefore(Instant.now().minus(1, ChronoUnit.HOURS))
                    .notAfter(Instant.now().plus(1, ChronoUnit.DAYS))
                    .ecp256()
                    .setKeyUsage(true, CertificateBuilder.KeyUsage.digitalSignature)
                    .addExtendedKeyUsageServerAuth()
                    .buildIssuedBy(authority());
        } catch (Exception e) {
            throw new AssertionError("could not make a test certificate", e);
        }
    }

    /** Writes the certificate chain and the PKCS#8 key as PEM files. */
    public static void write(X509Bundle bundle, Path cert, Path key) throws Exception {
        Files.writeString(cert, bundle.getCertificatePathPEM(), StandardCharsets.US_ASCII);
        Files.writeString(key, bundle.getPrivateKeyPEM(), StandardCharsets.US_ASCII);
    }

    /** A client TLS context that trusts the test CA and nothing else. */
    public static SSLContext trustingTheAuthority() {
        return trusting(authority());
    }

    /** A client TLS context that trusts these certificates and nothing else. */
    public static SSLContext trusting(X509Bundle... bundles) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (X509Bundle b : bundles) {
                for (X509Certificate c : b.getCertificatePath()) {
                    ks.setCertificateEntry("trusted-" + i++, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
