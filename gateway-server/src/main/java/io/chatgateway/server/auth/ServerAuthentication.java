package io.chatgateway.server.auth;

import io.chatgateway.auth.Authenticator;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.auth.JwtAuthenticator;
import io.chatgateway.auth.JwtKey;
import io.chatgateway.auth.JwtKeySource;
import io.chatgateway.auth.JwtKeys;
import io.chatgateway.server.config.ServerConfig;
import io.chatgateway.server.config.Setting;
import io.chatgateway.server.health.ReadinessCheck;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The server's authentication, built from the configuration: development mode when no key is configured, else a
 * {@link JwtAuthenticator} over every configured key source together: the HS256 secret ({@code jwt-secret} or
 * {@code jwt-secret-file}), PEM public keys ({@code jwt-public-key-file}, see {@link KeyFiles}), a JWKS file
 * ({@code jwt-jwks-file}) and a JWKS URL ({@code jwt-jwks-url}, see {@link JwksClient}), with
 * {@code jwt-issuer}, {@code jwt-audience}, {@code jwt-max-lifetime-seconds} and {@code jwt-leeway-seconds}.
 *
 * <p>Files are read when this is built, so a broken key stops the server before it binds a port
 * ({@link KeyConfigException}). The JWKS URL is first fetched by {@link #start(Duration)}; its thread ends with
 * {@link #close()}.
 */
public final class ServerAuthentication implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerAuthentication.class);
    /** Secrets shorter than this are weak for HS256 (RFC 7518 asks for at least the hash size, 256 bits). */
    static final int MIN_SECRET_BYTES = 32;

    private final Authenticator authenticator;
    private final JwksClient jwks;
    private final String description;

    private ServerAuthentication(Authenticator authenticator, JwksClient jwks, String description) {
        this.authenticator = authenticator;
        this.jwks = jwks;
        this.description = description;
    }

    /**
     * Reads the configured keys.
     *
     * @throws KeyConfigException when a key file cannot be used
     */
    public static ServerAuthentication from(ServerConfig config) {
        if (config.isDevelopmentMode()) {
            return new ServerAuthentication(new DevelopmentAuthenticator(), null, "development mode");
        }
        List<String> sources = new ArrayList<>();
        JwtKeys fixed = JwtKeys.EMPTY;
        if (config.jwtSecret() != null) {
            byte[] secret = config.jwtSecret().getBytes(StandardCharsets.UTF_8);
            if (secret.length < MIN_SECRET_BYTES) {
                log.warn("The JWT secret is shorter than {} bytes; HS256 wants at least 256 bits of secret.",
                        MIN_SECRET_BYTES);
            }
            fixed = fixed.plus(JwtKeys.of(JwtKey.hmac(null, secret)));
            sources.add("HS256 secret");
        }
        if (config.jwtPublicKeyFile() != null) {
            for (KeyFiles.PemEntry e : KeyFiles.pemEntries(Setting.JWT_PUBLIC_KEY_FILE.key(),
                    config.jwtPublicKeyFile())) {
                JwtKeys keys = KeyFiles.pem(Setting.JWT_PUBLIC_KEY_FILE.key(), List.of(e));
                fixed = fixed.plus(keys);
                sources.add(join(keys) + " from " + e.path());
            }
        }
        if (config.jwtJwksFile() != null) {
            Path path = Path.of(config.jwtJwksFile());
            JwtKeys keys = KeyFiles.jwks(Setting.JWT_JWKS_FILE.key(), path,
                    skipped -> log.warn("{}: {}: left out {}", Setting.JWT_JWKS_FILE.key(), path, skipped));
            fixed = fixed.plus(keys);
            sources.add(join(keys) + " from JWKS file " + path);
        }
        JwksClient jwks = null;
        JwtKeySource source = JwtKeySource.of(fixed);
        if (config.jwtJwksUrl() != null) {
            jwks = new JwksClient(URI.create(config.jwtJwksUrl()), fixed, config.jwtJwksRefresh());
            source = jwks.source();
            sources.add(jwks.toString());
        }
        JwtAuthenticator auth = JwtAuthenticator.builder(source)
                .leeway(config.jwtLeeway())
                .issuer(config.jwtIssuer())
                .audience(config.jwtAudience())
                .maxLifetime(config.jwtMaxLifetime())
                .build();
        StringBuilder d = new StringBuilder("JWT, keys: ").append(String.join("; ", sources));
        d.append(". Rules: exp required, leeway ").append(config.jwtLeeway().toSeconds()).append('s');
        d.append(", iss ").append(config.jwtIssuer() == null ? "not checked" : config.jwtIssuer());
        d.append(", aud ").append(config.jwtAudience() == null ? "not checked" : config.jwtAudience());
        d.append(", max lifetime ").append(config.jwtMaxLifetime().isZero() ? "none"
                : config.jwtMaxLifetime().toSeconds() + "s");
        return new ServerAuthentication(auth, jwks, d.toString());
    }

    private static String join(JwtKeys keys) {
        List<String> names = new ArrayList<>();
        for (JwtKey k : keys.keys()) {
            names.add(k.toString());
        }
        return String.join(", ", names);
    }

    /** The authenticator for the engine. */
    public Authenticator authenticator() {
        return authenticator;
    }

    /** {@code true} when a JWKS URL is configured. */
    public boolean fetchesKeys() {
        return jwks != null;
    }

    /**
     * Starts fetching the JWKS URL, if one is configured, and waits up to {@code firstFetchWait} for its keys. The
     * server starts anyway when they do not come (the {@code jwks} readiness check fails until they do).
     */
    public void start(Duration firstFetchWait) throws InterruptedException {
        if (jwks == null) {
            return;
        }
        if (!jwks.start(firstFetchWait)) {
            String why = jwks.lastProblem();
            log.warn("JWKS {}: no key yet ({}); starting anyway, not ready until a fetch succeeds", jwks.shownUrl(),
                    why == null ? "no answer within " + firstFetchWait.toSeconds() + "s" : why);
        }
    }

    /** The {@code jwks} readiness check, when a JWKS URL is configured. */
    public Optional<ReadinessCheck> readinessCheck() {
        return jwks == null ? Optional.empty() : Optional.of(jwks.readinessCheck());
    }

    /** Registers the JWKS meters, when a JWKS URL is configured. */
    public void bindTo(MeterRegistry registry) {
        if (jwks != null) {
            jwks.bindTo(registry);
        }
    }

    /** Stops the JWKS thread. */
    @Override
    public void close() {
        if (jwks != null) {
            jwks.close();
        }
    }

    /** One line for the start-up log: the key types, kids, sources and rules; never the secret. */
    @Override
    public String toString() {
        return description;
    }
}
