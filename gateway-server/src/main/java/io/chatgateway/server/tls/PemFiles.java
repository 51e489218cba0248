package io.chatgateway.server.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;

/**
 * Reads the PEM files of {@code tls-cert-file} and {@code tls-key-file}, with errors that say what to do.
 *
 * <ul>
 *   <li>Certificate file: one or more {@code -----BEGIN CERTIFICATE-----} blocks, the server's certificate first,
 *       then its intermediates (the usual {@code fullchain.pem}).</li>
 *   <li>Key file: one unencrypted PKCS#8 key, {@code -----BEGIN PRIVATE KEY-----}, RSA or EC (P-256, P-384). A
 *       PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}) key is refused with the
 *       {@code openssl} command that converts it; encrypted keys are refused.</li>
 * </ul>
 *
 * The key must belong to the first certificate: that is checked here, so a half-replaced pair is caught at load
 * time rather than as failed handshakes.
 */
final class PemFiles {
    private static final String BEGIN_KEY = "-----BEGIN PRIVATE KEY-----";
    private static final String END_KEY = "-----END PRIVATE KEY-----";

    private PemFiles() {
    }

    /** The certificate chain, leaf first. */
    static List<X509Certificate> certificates(byte[] pem, String where) throws TlsFileException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new TlsFileException(where + ": no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks,"
                    + " the server's certificate first, then its intermediates)");
        }
        try {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem));
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : all) {
                chain.add((X509Certificate) c);
            }
            if (chain.isEmpty()) {
                throw new TlsFileException(where + ": no certificate in the file");
            }
            return chain;
        } catch (CertificateException e) {
            throw new TlsFileException(where + ": not a valid PEM certificate chain: " + e.getMessage());
        }
    }

    /** The private key (PKCS#8, unencrypted, RSA or EC). */
    static PrivateKey privateKey(byte[] pem, String where) throws TlsFileException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new TlsFileException(where + ": a PKCS#1/SEC1 key (BEGIN RSA/EC PRIVATE KEY); the gateway reads"
                    + " PKCS#8 (BEGIN PRIVATE KEY): convert it with"
                    + " openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem");
        }
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new TlsFileException(where + ": an encrypted key; the gateway reads an unencrypted PKCS#8 key"
                    + " (BEGIN PRIVATE KEY): openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem, and"
                    + " protect the file with its permissions");
        }
        int begin = text.indexOf(BEGIN_KEY);
        int end = text.indexOf(END_KEY);
        if (begin < 0 || end < begin) {
            throw new TlsFileException(where + ": no PEM private key (expected -----BEGIN PRIVATE KEY-----, PKCS#8)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + BEGIN_KEY.length(), end));
        } catch (IllegalArgumentException e) {
            throw new TlsFileException(where + ": the private key is not valid base64");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next
            }
        }
        throw new TlsFileException(where + ": not an RSA or EC private key in PKCS#8");
    }

    /** Checks that {@code key} is the private half of the leaf certificate's public key. */
    static void checkPair(X509Certificate leaf, PrivateKey key, String where) throws TlsFileException {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        if (!leaf.getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            throw new TlsFileException(where + ": the key (" + key.getAlgorithm() + ") does not belong to the"
                    + " certificate (" + leaf.getPublicKey().getAlgorithm() + ")");
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(leaf.getPublicKey());
            verify.update(probe);
            if (!verify.verify(signature)) {
                throw new TlsFileException(where + ": the key does not belong to the certificate "
                        + leaf.getSubjectX500Principal().getName());
            }
        } catch (GeneralSecurityException e) {
            throw new TlsFileException(where + ": cannot check the key against the certificate: " + e.getMessage());
        }
    }

    /** A certificate or key file that cannot be used; the message names the file and what to do. */
    static final class TlsFileException extends Exception {
        private static final long serialVersionUID = 1L;

        TlsFileException(String message) {
            super(message);
        }
    }
}
