package io.chatgateway.server.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.chatgateway.auth.AuthenticationException;
import io.chatgateway.auth.JwtAuthenticator;
import io.chatgateway.auth.JwtKeys;
import io.chatgateway.auth.Principal;
import io.chatgateway.server.health.ReadinessCheck;
import io.chatgateway.server.testing.JwksServer;
import io.chatgateway.server.testing.TestServer;
import io.chatgateway.testing.TestTokens;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static io.chatgateway.testing.TestTokens.claims;
import static io.chatgateway.testing.TestTokens.sign;
import static io.chatgateway.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JWKS URL against a real HTTP server on 127.0.0.1. */
class JwksClientTest {
    private static final RSAKey OLD = TestTokens.rsaKey("2026-10");
    private static final RSAKey NEW = TestTokens.rsaKey("2026-11");
    private static final ECKey EC = TestTokens.ecKey("ec-1");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private JwksServer idp;
    private JwksClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (idp != null) {
            idp.close();
        }
    }

    private JwksClient client(Duration refresh, Duration retry) {
        client = new JwksClient(URI.create(idp.url()), JwtKeys.EMPTY, refresh, retry);
        return client;
    }

    private JwtAuthenticator auth() {
        return JwtAuthenticator.builder(client.source()).build();
    }

    private static String token(RSAKey key, String user) {
        return sign(signer(key), JWSAlgorithm.RS256, key.getKeyID(), claims(user, Instant.now().plusSeconds(60)).build());
    }

    private static Principal accepted(JwtAuthenticator auth, String token) throws Exception {
        return auth.authenticate(token).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static String rejected(JwtAuthenticator auth, String token) {
        CompletionException e = assertThrows(CompletionException.class,
                () -> auth.authenticate(token).toCompletableFuture().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join());
        assertTrue(e.getCause() instanceof AuthenticationException, () -> "not an AuthenticationException: " + e);
        return e.getCause().getMessage();
    }

    private static double count(SimpleMeterRegistry r, String result) {
        return r.get("gateway.jwks.fetches").tag("result", result).functionCounter().count();
    }

    @Test
    void fetchesAtStartAndServesTheKeys() throws Exception {
        idp = JwksServer.serving(List.of(OLD, EC));
        JwksClient c = client(Duration.ofMinutes(5), Duration.ofSeconds(10));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        c.bindTo(registry);
        ReadinessCheck ready = c.readinessCheck();
        assertFalse(ready.check().ready());
        assertEquals("no key fetched yet from the JWKS URL (first fetch under way)", ready.check().reason());

        assertTrue(c.start(WAIT));
        assertTrue(ready.check().ready());
        assertEquals(1, idp.fetches());
        assertEquals(1, count(registry, "success"));
        assertEquals(0, count(registry, "failure"));
        assertEquals(2, registry.get("gateway.jwks.keys").gauge().value());
        JwtAuthenticator auth = auth();
        assertEquals("alice", accepted(auth, token(OLD, "alice")).user());
        assertEquals("bob", accepted(auth, sign(signer(EC), JWSAlgorithm.ES256, "ec-1",
                claims("bob", Instant.now().plusSeconds(60)).build())).user());
        assertEquals(1, idp.fetches(), "known kids never fetch");
    }

    @Test
    void anUnknownKidRefetchesOncePerIntervalSoARotatedKeyWorksOnFirstUse() throws Exception {
        idp = JwksServer.serving(List.of(OLD));
        JwksClient c = client(Duration.ofMinutes(5), Duration.ofSeconds(10));
        assertTrue(c.start(WAIT));
        JwtAuthenticator auth = auth();

        idp.serve(List.of(OLD, NEW)); // the provider rotates
        assertEquals("carol", accepted(auth, token(NEW, "carol")).user());
        assertEquals(2, idp.fetches());

        // A kid that the provider does not have either: the refetch for it was used up, so no fetch, rejected at once.
        RSAKey stranger = TestTokens.rsaKey("stranger");
        assertEquals("unknown token key id", rejected(auth, token(stranger, "eve")));
        assertEquals("unknown token key id", rejected(auth, token(stranger, "eve")));
        assertEquals(2, idp.fetches(), "rate-limited: one refetch per interval");
    }

    @Test
    void aFailedFetchKeepsTheKeysIsCountedAndRetried() throws Exception {
        idp = JwksServer.serving(List.of(OLD));
        JwksClient c = client(Duration.ofMillis(200), Duration.ofMillis(200));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        c.bindTo(registry);
        assertTrue(c.start(WAIT));

        idp.serveRaw(503, "down for maintenance");
        TestServer.await("two failed fetches", () -> count(registry, "failure") >= 2);
        assertEquals("alice", accepted(auth(), token(OLD, "alice")).user(), "the last good keys stay");
        assertTrue(c.readinessCheck().check().ready(), "a node that had keys stays ready");
        assertEquals(1, registry.get("gateway.jwks.keys").gauge().value());

        idp.serve(List.of(NEW));
        TestServer.await("the new set", () -> c.source().keys().hasKid("2026-11"));
        assertFalse(c.source().keys().hasKid("2026-10"), "a successful fetch replaces the set: old key dropped");
    }

    @Test
    void isNotReadyUntilAFirstFetchSucceeds() throws Exception {
        idp = JwksServer.serving(List.of(OLD));
        idp.serveRaw(500, "oops");
        JwksClient c = client(Duration.ofMinutes(5), Duration.ofMinutes(5));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        c.bindTo(registry);
        assertFalse(c.start(WAIT));
        ReadinessCheck.Result r = c.readinessCheck().check();
        assertFalse(r.ready());
        assertEquals("no key fetched yet from the JWKS URL (last attempt: HTTP 500)", r.reason());
        assertEquals(1, count(registry, "failure"));

        // The provider comes back; the first token with a kid triggers the fetch and is accepted.
        idp.serve(List.of(OLD));
        assertEquals("alice", accepted(auth(), token(OLD, "alice")).user());
        assertTrue(c.readinessCheck().check().ready());
    }

    @Test
    void boundsWhatItFetches() throws Exception {
        idp = JwksServer.serving(List.of(OLD));
        idp.serveRaw(200, "{\"keys\":[], \"pad\":\"" + "x".repeat(JwksClient.MAX_BYTES) + "\"}");
        JwksClient c = client(Duration.ofMinutes(5), Duration.ofMinutes(5));
        assertFalse(c.start(WAIT));
        assertTrue(c.readinessCheck().check().reason().contains("larger than"), c.readinessCheck().check().reason());
    }

    @Test
    void doesNotFollowRedirects() throws Exception {
        try (JwksServer elsewhere = JwksServer.serving(List.of(OLD))) {
            idp = JwksServer.serving(List.of());
            idp.redirect(elsewhere.url());
            JwksClient c = client(Duration.ofMinutes(5), Duration.ofMinutes(5));
            assertFalse(c.start(WAIT));
            assertTrue(c.readinessCheck().check().reason().contains("HTTP 302"));
            assertEquals(0, elsewhere.fetches());
        }
    }

    @Test
    void refusesASetWithoutUsableKeys() throws Exception {
        idp = JwksServer.serving(List.of());
        JwksClient c = client(Duration.ofMinutes(5), Duration.ofMinutes(5));
        assertFalse(c.start(WAIT));
        assertTrue(c.readinessCheck().check().reason().contains("no usable key"));
    }

    @Test
    void theAuthenticationWaitingForARefetchDoesNotBlockTheCaller() throws Exception {
        idp = JwksServer.serving(List.of(OLD));
        JwksClient c = client(Duration.ofMinutes(5), Duration.ofMinutes(5));
        assertTrue(c.start(WAIT));
        idp.serve(List.of(OLD, NEW));
        idp.delay(Duration.ofMillis(1500));
        long t0 = System.nanoTime();
        CompletableFuture<Principal> f = auth().authenticate(token(NEW, "dave")).toCompletableFuture();
        long callMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertFalse(f.isDone(), "the stage waits for the fetch");
        assertTrue(callMillis < 1000, "authenticate() returned after " + callMillis + " ms, not at once");
        assertEquals("dave", f.get(WAIT.toSeconds(), TimeUnit.SECONDS).user());
    }

    @Test
    void showsTheUrlWithoutCredentials() {
        assertEquals("https://idp.example:8443/realms/x/certs",
                JwksClient.shown(URI.create("https://user:pw@idp.example:8443/realms/x/certs?key=abc")));
    }
}
