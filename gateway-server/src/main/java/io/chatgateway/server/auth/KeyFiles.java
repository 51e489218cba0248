package io.chatgateway.server.auth;

import io.chatgateway.auth.JwtKey;
import io.chatgateway.auth.JwtKeys;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the keys of {@code jwt-public-key-file} (PEM) and {@code jwt-jwks-file} (a JWKS), once, at start.
 *
 * <p>{@code jwt-public-key-file} is a comma-separated list of entries, each {@code path} or {@code kid=path}
 * ({@code =path} for a path that itself contains {@code =}). A file may hold several PEM blocks, each
 * {@code PUBLIC KEY} (X.509 SubjectPublicKeyInfo, what {@code openssl pkey -pubout} writes), {@code RSA PUBLIC KEY}
 * (PKCS#1) or {@code CERTIFICATE} (only its public key is used; the certificate's dates and chain are not checked).
 * Every key of an entry gets that entry's kid, or none: a token naming the kid is tried against each of them, a
 * token naming no kid (or one no key has) against the keys without a kid. Private keys are refused, so that a
 * misplaced signing key is noticed rather than silently used.
 */
final class KeyFiles {
    /** Largest key file read; key files are a few KB. */
    static final int MAX_FILE_BYTES = 1024 * 1024;
    /** Most keys taken from one PEM file. */
    static final int MAX_PEM_KEYS = 100;
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----");
    /** AlgorithmIdentifier of rsaEncryption with NULL parameters, to wrap a PKCS#1 key as SubjectPublicKeyInfo. */
    private static final byte[] RSA_ALGORITHM_ID = {0x30, 0x0D, 0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00};

    private KeyFiles() {
    }

    /** One entry of {@code jwt-public-key-file}. */
    record PemEntry(String kid, Path path) {
        @Override
        public String toString() {
            return (kid == null ? "" : kid + "=") + path;
        }
    }

    /** Splits the setting's value into entries. */
    static List<PemEntry> pemEntries(String setting, String value) {
        List<PemEntry> entries = new ArrayList<>();
        for (String raw : value.split(",", -1)) {
            String e = raw.strip();
            if (e.isEmpty()) {
                throw new KeyConfigException(setting + ": an empty entry in '" + value
                        + "' (expected: comma-separated [kid=]path)");
            }
            int eq = e.indexOf('=');
            String kid = eq <= 0 ? null : e.substring(0, eq).strip();
            String path = eq < 0 ? e : e.substring(eq + 1).strip();
            if (path.isEmpty() || (kid != null && kid.isEmpty())) {
                throw new KeyConfigException(setting + ": '" + e + "' (expected: [kid=]path)");
            }
            entries.add(new PemEntry(kid, Path.of(path)));
        }
        return entries;
    }

    /** The keys of every entry, in order. */
    static JwtKeys pem(String setting, List<PemEntry> entries) {
        List<JwtKey> keys = new ArrayList<>();
        for (PemEntry e : entries) {
            String where = setting + ": " + e.path();
            try {
                keys.addAll(parsePem(read(e.path()), e.kid()));
            } catch (IOException ex) {
                throw new KeyConfigException(where + " cannot be read (" + ex + ")");
            } catch (IllegalArgumentException ex) {
                throw new KeyConfigException(where + ": " + ex.getMessage());
            }
        }
        return JwtKeys.of(keys);
    }

    /**
     * The public keys of the PEM blocks in {@code text}, each with {@code kid}.
     *
     * @throws IllegalArgumentException naming the first block that is not a usable public key
     */
    static List<JwtKey> parsePem(String text, String kid) {
        List<JwtKey> keys = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        int blocks = 0;
        while (m.find()) {
            blocks++;
            String type = m.group(1);
            if (type.contains("PRIVATE KEY")) {
                throw new IllegalArgumentException("block " + blocks + " is a private key (expected: the public key"
                        + " only, e.g. from 'openssl pkey -pubout'); the gateway never needs the signing key");
            }
            if (type.equals("EC PARAMETERS")) {
                continue; // written by 'openssl ecparam' before the key; names the curve the key names anyway
            }
            byte[] der;
            try {
                der = Base64.getDecoder().decode(m.group(2).replaceAll("\\s+", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("block " + blocks + " (" + type + ") is not base64"
                        + " (encrypted or with headers?)");
            }
            keys.add(JwtKey.of(kid, publicKey(type, der, blocks)));
            if (keys.size() > MAX_PEM_KEYS) {
                throw new IllegalArgumentException("more than " + MAX_PEM_KEYS + " keys");
            }
        }
        if (keys.isEmpty()) {
            Matcher begin = BEGIN.matcher(text);
            throw new IllegalArgumentException(begin.find() && blocks == 0
                    ? "PEM block '" + begin.group(1) + "' has no matching END line"
                    : "no PEM public key found (expected: -----BEGIN PUBLIC KEY-----)");
        }
        return keys;
    }

    private static PublicKey publicKey(String type, byte[] der, int block) {
        try {
            switch (type) {
                case "PUBLIC KEY":
                    return spki(der, block);
                case "RSA PUBLIC KEY":
                    return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(wrapPkcs1(der)));
                case "CERTIFICATE":
                    return CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
                default:
                    throw new IllegalArgumentException("block " + block + " is a " + type
                            + " (expected: PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)");
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("block " + block + " (" + type + ") cannot be decoded");
        }
    }

    private static PublicKey spki(byte[] der, int block) {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        for (String alg : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(spec);
            } catch (GeneralSecurityException e) {
                // not this type; try the next
            }
        }
        throw new IllegalArgumentException("block " + block + " (PUBLIC KEY) is neither an RSA nor an EC key");
    }

    /** SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING } around a PKCS#1 RSAPublicKey. */
    static byte[] wrapPkcs1(byte[] pkcs1) {
        ByteArrayOutputStream bits = new ByteArrayOutputStream();
        bits.write(0x03);
        writeLength(bits, pkcs1.length + 1);
        bits.write(0x00); // no unused bits
        bits.writeBytes(pkcs1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        writeLength(out, RSA_ALGORITHM_ID.length + bits.size());
        out.writeBytes(RSA_ALGORITHM_ID);
        out.writeBytes(bits.toByteArray());
        return out.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
            return;
        }
        int bytes = length > 0xFFFFFF ? 4 : length > 0xFFFF ? 3 : length > 0xFF ? 2 : 1;
        out.write(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) {
            out.write(length >>> (8 * i));
        }
    }

    /**
     * The usable keys of a JWKS file; keys left out are reported to {@code skipped}.
     *
     * @throws KeyConfigException when the file cannot be read, is not a JWKS, or has no usable key
     */
    static JwtKeys jwks(String setting, Path path, Consumer<String> skipped) {
        String where = setting + ": " + path;
        JwtKeys keys;
        try {
            keys = JwtKeys.fromJwks(read(path), skipped);
        } catch (IOException e) {
            throw new KeyConfigException(where + " cannot be read (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new KeyConfigException(where + ": " + e.getMessage());
        }
        if (keys.isEmpty()) {
            throw new KeyConfigException(where + ": no usable key (expected: RS256 or ES256 signing keys)");
        }
        return keys;
    }

    private static String read(Path path) throws IOException {
        long size = Files.size(path);
        if (size > MAX_FILE_BYTES) {
            throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
        }
        // Keys are ASCII; ISO-8859-1 decodes any byte, so a stray one gives a clear "not PEM" rather than a charset error.
        return new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1);
    }
}
