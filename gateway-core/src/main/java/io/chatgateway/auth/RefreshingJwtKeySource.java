package io.chatgateway.auth;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Keys fetched from somewhere else (an identity provider's JWKS URL), cached, plus a fixed set configured beside
 * them. It does no I/O and starts no thread: the application supplies the fetch, which runs wherever the
 * application runs it (never on an event loop), and calls {@link #refresh()} on its own schedule.
 *
 * <ul>
 *   <li>{@link #keys()} is the fixed keys followed by the keys of the last successful fetch.</li>
 *   <li>A fetch that fails, or yields no key, changes nothing: the last good keys stay in use.</li>
 *   <li>At most one fetch runs at a time: a refresh or refetch while one runs waits for that one.</li>
 *   <li>{@link #refetch()} (a token named an unknown {@code kid}) starts a fetch at most once per
 *       {@code refetchInterval}; in between it answers at once with the keys held, so tokens with made-up
 *       {@code kid}s cannot make the gateway hammer the identity provider.</li>
 * </ul>
 *
 * <pre>{@code
 * RefreshingJwtKeySource keys = new RefreshingJwtKeySource(JwtKeys.EMPTY,
 *         () -> CompletableFuture.supplyAsync(() -> JwtKeys.fromJwks(download(url), skipped -> {}), fetchThread),
 *         Duration.ofMinutes(5));
 * fetchThread.scheduleWithFixedDelay(keys::refresh, 0, 5, TimeUnit.MINUTES);
 * Authenticator auth = JwtAuthenticator.builder(keys).issuer("https://idp.example/").build();
 * }</pre>
 */
public final class RefreshingJwtKeySource implements JwtKeySource {
    private final JwtKeys fixed;
    private final Supplier<? extends CompletionStage<JwtKeys>> fetch;
    private final long refetchIntervalNanos;
    private final LongSupplier nanoClock;
    private final Object lock = new Object();
    private volatile JwtKeys keys;
    private volatile JwtKeys fetched = JwtKeys.EMPTY;
    private volatile boolean hasFetched;
    // Guarded by lock.
    private CompletableFuture<JwtKeys> inFlight;
    private boolean refetchedBefore;
    private long lastRefetchNanos;

    /**
     * @param fixed           keys always held besides the fetched ones (may be {@link JwtKeys#EMPTY})
     * @param fetch           starts one fetch; its stage completes with the keys found, or fails
     * @param refetchInterval least time between two fetches started by {@link #refetch()}
     */
    public RefreshingJwtKeySource(JwtKeys fixed, Supplier<? extends CompletionStage<JwtKeys>> fetch,
                                  Duration refetchInterval) {
        this(fixed, fetch, refetchInterval, System::nanoTime);
    }

    RefreshingJwtKeySource(JwtKeys fixed, Supplier<? extends CompletionStage<JwtKeys>> fetch,
                           Duration refetchInterval, LongSupplier nanoClock) {
        this.fixed = Objects.requireNonNull(fixed, "fixed");
        this.fetch = Objects.requireNonNull(fetch, "fetch");
        if (refetchInterval.isNegative()) {
            throw new IllegalArgumentException("refetchInterval: " + refetchInterval + " (expected: >= 0)");
        }
        this.refetchIntervalNanos = refetchInterval.toNanos();
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.keys = fixed;
    }

    @Override
    public JwtKeys keys() {
        return keys;
    }

    /** The keys of the last successful fetch alone, without the fixed ones. */
    public JwtKeys fetchedKeys() {
        return fetched;
    }

    /** {@code true} once a fetch has succeeded. */
    public boolean hasFetched() {
        return hasFetched;
    }

    /**
     * Fetches now (or joins the fetch already running), whatever the refetch interval.
     *
     * @return completes with the keys held afterwards; never fails
     */
    public CompletionStage<JwtKeys> refresh() {
        synchronized (lock) {
            return startLocked().copy();
        }
    }

    /** Joins a running fetch, else starts one unless the last refetch started less than the interval ago. */
    @Override
    public CompletionStage<JwtKeys> refetch() {
        synchronized (lock) {
            if (inFlight == null) {
                long now = nanoClock.getAsLong();
                if (refetchedBefore && now - lastRefetchNanos < refetchIntervalNanos) {
                    return CompletableFuture.completedFuture(keys);
                }
                refetchedBefore = true;
                lastRefetchNanos = now;
            }
            return startLocked().copy();
        }
    }

    private CompletableFuture<JwtKeys> startLocked() {
        if (inFlight != null) {
            return inFlight;
        }
        CompletableFuture<JwtKeys> done = new CompletableFuture<>();
        inFlight = done;
        CompletionStage<JwtKeys> stage;
        try {
            stage = Objects.requireNonNull(fetch.get(), "fetch returned null");
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((found, error) -> {
            if (error == null && found != null && !found.isEmpty()) {
                fetched = found;
                keys = fixed.plus(found);
                hasFetched = true;
            }
            synchronized (lock) {
                inFlight = null;
            }
            done.complete(keys);
        });
        return done;
    }

    @Override
    public String toString() {
        return "RefreshingJwtKeySource(fixed " + fixed + ", fetched " + (hasFetched ? fetched : "(not yet)") + ")";
    }
}
