package io.chatgateway.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.chatgateway.testing.TestTokens;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static io.chatgateway.testing.TestTokens.claims;
import static io.chatgateway.testing.TestTokens.sign;
import static io.chatgateway.testing.TestTokens.signer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A fetched key set: rotation, unknown kids, the refetch rate limit, failed fetches. */
class RefreshingJwtKeySourceTest {
    private static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    private static final Duration INTERVAL = Duration.ofSeconds(300);
    private static final RSAKey OLD = TestTokens.rsaKey("2026-10");
    private static final RSAKey NEW = TestTokens.rsaKey("2026-11");
    private static final ECKey EC = TestTokens.ecKey("ec-2026-11");

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final FakeIdp idp = new FakeIdp();

    /** Plays the identity provider's JWKS endpoint: each fetch is recorded and answered when the test says. */
    private static final class FakeIdp implements Supplier<CompletionStage<JwtKeys>> {
        volatile JwtKeys serving = JwtKeys.EMPTY;
        volatile boolean failing;
        volatile boolean manual;
        final List<CompletableFuture<JwtKeys>> fetches = new ArrayList<>();

        @Override
        public synchronized CompletionStage<JwtKeys> get() {
            CompletableFuture<JwtKeys> f = new CompletableFuture<>();
            fetches.add(f);
            if (!manual) {
                answer(f);
            }
            return f;
        }

        void answer(CompletableFuture<JwtKeys> f) {
            if (failing) {
                f.completeExceptionally(new java.io.IOException("HTTP 503"));
            } else {
                f.complete(serving);
            }
        }

        synchronized int count() {
            return fetches.size();
        }

        synchronized CompletableFuture<JwtKeys> last() {
            return fetches.get(fetches.size() - 1);
        }
    }

    private static JwtKeys keys(RSAKey... rsa) {
        List<JwtKey> out = new ArrayList<>();
        for (RSAKey k : rsa) {
            out.add(JwtKey.fromJwk(k.toPublicJWK()));
        }
        return JwtKeys.of(out);
    }

    private RefreshingJwtKeySource source() {
        return new RefreshingJwtKeySource(JwtKeys.EMPTY, idp, INTERVAL, nanos::get);
    }

    private static JwtAuthenticator auth(JwtKeySource source) {
        return JwtAuthenticator.builder(source).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    }

    private static String token(RSAKey key, String user) {
        return sign(signer(key), JWSAlgorithm.RS256, key.getKeyID(), claims(user, NOW.plusSeconds(60)).build());
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    @Test
    void acceptsATokenSignedWithAFreshlyRotatedKeyOnFirstUse() {
        idp.serving = keys(OLD);
        RefreshingJwtKeySource source = source();
        source.refresh().toCompletableFuture().join();
        JwtAuthenticator auth = auth(source);
        assertEquals("alice", JwtKeyTypesTest.user(auth, token(OLD, "alice")));
        assertEquals(1, idp.count());

        idp.serving = keys(OLD, NEW);
        assertEquals("bob", JwtKeyTypesTest.user(auth, token(NEW, "bob")));
        assertEquals(2, idp.count(), "the unknown kid refetched once");
        assertTrue(source.keys().hasKid("2026-11"));
        // Now known: no more fetches for it.
        assertEquals("bob", JwtKeyTypesTest.user(auth, token(NEW, "bob")));
        assertEquals(2, idp.count());
    }

    @Test
    void theAuthenticationCompletesOnlyAfterTheRefetch() {
        idp.serving = keys(OLD);
        RefreshingJwtKeySource source = source();
        source.refresh().toCompletableFuture().join();
        JwtAuthenticator auth = auth(source);

        idp.manual = true;
        idp.serving = keys(NEW);
        CompletableFuture<Principal> pending = auth.authenticate(token(NEW, "carol")).toCompletableFuture();
        assertFalse(pending.isDone(), "must wait for the fetch, not block and not reject");
        // A second token with the same new kid joins the same fetch instead of starting another.
        CompletableFuture<Principal> second = auth.authenticate(token(NEW, "dave")).toCompletableFuture();
        assertEquals(2, idp.count());
        idp.answer(idp.last());
        assertEquals("carol", pending.join().user());
        assertEquals("dave", second.join().user());
    }

    @Test
    void aKidStillUnknownAfterTheRefetchIsRejected() {
        idp.serving = keys(OLD);
        RefreshingJwtKeySource source = source();
        source.refresh().toCompletableFuture().join();
        JwtAuthenticator auth = auth(source);
        assertEquals("unknown token key id", JwtKeyTypesTest.rejected(auth, token(NEW, "eve")));
        assertEquals(2, idp.count());
    }

    @Test
    void refetchesForUnknownKidsAtMostOncePerInterval() {
        idp.serving = keys(OLD);
        RefreshingJwtKeySource source = source();
        source.refresh().toCompletableFuture().join();
        JwtAuthenticator auth = auth(source);

        assertEquals("unknown token key id", JwtKeyTypesTest.rejected(auth, token(NEW, "eve")));
        assertEquals(2, idp.count());
        // Made-up kids within the interval are answered from the cache at once, without a fetch.
        for (String madeUp : List.of("made-up-1", "made-up-2", "made-up-3")) {
            String t = sign(signer(OLD), JWSAlgorithm.RS256, madeUp, claims("eve", NOW.plusSeconds(60)).build());
            CompletableFuture<Principal> f = auth.authenticate(t).toCompletableFuture();
            assertTrue(f.isDone(), "answered at once");
            assertEquals("unknown token key id", JwtKeyTypesTest.rejected(auth, t));
        }
        assertEquals(2, idp.count());
        advance(INTERVAL.minusSeconds(1));
        idp.serving = keys(OLD, NEW);
        assertEquals("unknown token key id", JwtKeyTypesTest.rejected(auth, token(NEW, "bob")));
        assertEquals(2, idp.count(), "still within the interval: no fetch");

        advance(Duration.ofSeconds(1));
        assertEquals("bob", JwtKeyTypesTest.user(auth, token(NEW, "bob")));
        assertEquals(3, idp.count(), "one fetch once the interval has passed");
    }

    @Test
    void backgroundRefreshesAreNotRateLimitedAndDoNotUseUpTheRefetch() {
        idp.serving = keys(OLD);
        RefreshingJwtKeySource source = source();
        source.refresh().toCompletableFuture().join();
        source.refresh().toCompletableFuture().join();
        assertEquals(2, idp.count());
        idp.serving = keys(OLD, NEW);
        assertEquals("bob", JwtKeyTypesTest.user(auth(source), token(NEW, "bob")));
        assertEquals(3, idp.count());
    }

    @Test
    void aFailedFetchKeepsTheLastGoodKeys() {
        idp.serving = keys(OLD);
        RefreshingJwtKeySource source = source();
        source.refresh().toCompletableFuture().join();
        JwtKeys good = source.keys();
        assertTrue(source.hasFetched());

        idp.failing = true;
        JwtKeys after = source.refresh().toCompletableFuture().join();
        assertSame(good, after);
        assertSame(good, source.keys());
        JwtAuthenticator auth = auth(source);
        assertEquals("alice", JwtKeyTypesTest.user(auth, token(OLD, "alice")));
        // A refetch that fails is no worse: the token is judged by the keys held.
        assertEquals("unknown token key id", JwtKeyTypesTest.rejected(auth, token(NEW, "bob")));
        assertEquals(3, idp.count());

        // An empty set is taken as a failed fetch too, not as "revoke every key".
        idp.failing = false;
        idp.serving = JwtKeys.EMPTY;
        source.refresh().toCompletableFuture().join();
        assertSame(good, source.keys());
    }

    @Test
    void aFetchThatThrowsKeepsTheKeysToo() {
        RefreshingJwtKeySource source = new RefreshingJwtKeySource(keys(OLD), () -> {
            throw new java.util.concurrent.RejectedExecutionException("stopped");
        }, INTERVAL, nanos::get);
        assertEquals(1, source.refresh().toCompletableFuture().join().size());
        assertFalse(source.hasFetched());
    }

    @Test
    void fixedKeysStayBesideTheFetchedOnes() {
        JwtKeys fixed = JwtKeys.of(JwtKey.fromJwk(EC.toPublicJWK()));
        idp.serving = keys(NEW);
        RefreshingJwtKeySource source = new RefreshingJwtKeySource(fixed, idp, INTERVAL, nanos::get);
        assertFalse(source.hasFetched());
        assertEquals(1, source.keys().size());
        source.refresh().toCompletableFuture().join();
        assertEquals(2, source.keys().size());
        assertEquals(1, source.fetchedKeys().size());
        JwtAuthenticator auth = auth(source);
        assertEquals("erin", JwtKeyTypesTest.user(auth, sign(signer(EC), JWSAlgorithm.ES256, "ec-2026-11",
                claims("erin", NOW.plusSeconds(60)).build())));
        assertEquals("bob", JwtKeyTypesTest.user(auth, token(NEW, "bob")));
    }

    @Test
    void aTokenWaitingForTheFirstFetchIsJudgedWhenItArrives() throws Exception {
        idp.manual = true;
        idp.serving = keys(NEW);
        RefreshingJwtKeySource source = source();
        source.refresh(); // the start-up fetch, still running
        CompletableFuture<Principal> p = auth(source).authenticate(token(NEW, "frank")).toCompletableFuture();
        assertEquals(1, idp.count(), "joined the running fetch");
        assertFalse(p.isDone());
        CompletableFuture.runAsync(() -> idp.answer(idp.last()));
        assertEquals("frank", p.get(10, TimeUnit.SECONDS).user());
    }
}
