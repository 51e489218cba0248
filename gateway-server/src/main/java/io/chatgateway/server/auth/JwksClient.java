package io.chatgateway.server.auth;

import io.chatgateway.auth.JwtKeys;
import io.chatgateway.auth.RefreshingJwtKeySource;
import io.chatgateway.internal.ThrottledWarning;
import io.chatgateway.server.health.ReadinessCheck;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the keys of an identity provider's JWKS URL: fetched on one daemon thread of its own (never an event loop),
 * cached in a {@link RefreshingJwtKeySource}, refreshed every {@code refresh} interval, and fetched again at once
 * (at most once per interval) when a token names a kid it does not hold.
 *
 * <p>Each fetch is bounded: {@value #CONNECT_TIMEOUT_MILLIS} ms to connect, {@value #READ_TIMEOUT_MILLIS} ms per
 * read, {@value #TOTAL_TIMEOUT_MILLIS} ms in all, {@value #MAX_BYTES} bytes, HTTP 200 only, redirects not followed
 * (the URL is a trust anchor: it should not move silently). A failed fetch keeps the last good keys, is logged
 * (repeats summarised) and counted, and is tried again after {@code retry} instead of a whole interval. Until a
 * first fetch succeeds, the {@code jwks} readiness check fails with the reason.
 *
 * <p>Meters: {@code gateway_jwks_fetches_total{result="success"|"failure"}} and {@code gateway_jwks_keys} (keys held
 * from the URL).
 */
final class JwksClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JwksClient.class);
    static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    static final int READ_TIMEOUT_MILLIS = 5_000;
    static final int TOTAL_TIMEOUT_MILLIS = 10_000;
    static final int MAX_BYTES = 512 * 1024;
    /** How soon a failed fetch is tried again (or the refresh interval, when shorter). */
    static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(10);
    /** How often a fetch that keeps failing is logged. */
    private static final Duration WARNING_INTERVAL = Duration.ofMinutes(5);

    private final URI url;
    private final String shownUrl;
    private final Duration refresh;
    private final Duration retry;
    private final ScheduledThreadPoolExecutor thread;
    private final RefreshingJwtKeySource source;
    private final ThrottledWarning failureWarning;
    private final AtomicLong successes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean lastFetchFailed;
    private volatile long failuresInARow;
    private volatile String lastProblem;
    private volatile String lastKeys;
    private volatile boolean closed;

    /**
     * @param fixed   keys held besides the fetched ones (the secret, PEM and JWKS-file keys)
     * @param refresh how often the URL is fetched, and the least time between two unknown-kid refetches
     */
    JwksClient(URI url, JwtKeys fixed, Duration refresh) {
        this(url, fixed, refresh, RETRY_AFTER_FAILURE);
    }

    JwksClient(URI url, JwtKeys fixed, Duration refresh, Duration retry) {
        this.url = url;
        this.shownUrl = shown(url);
        this.refresh = refresh;
        this.retry = retry.compareTo(refresh) < 0 ? retry : refresh;
        // One thread, created on the first fetch (not when the server is merely built), gone with the executor.
        this.thread = new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("gateway-jwks", true));
        this.thread.setRemoveOnCancelPolicy(true);
        this.source = new RefreshingJwtKeySource(fixed, () -> CompletableFuture.supplyAsync(this::fetch, thread),
                refresh);
        this.failureWarning = new ThrottledWarning(log, "keeping the keys held", WARNING_INTERVAL);
    }

    /** The URL for logs: scheme, host, port and path; never user info or a query (either may hold a credential). */
    static String shown(URI url) {
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    /** The keys, for the authenticator. */
    RefreshingJwtKeySource source() {
        return source;
    }

    String shownUrl() {
        return shownUrl;
    }

    Duration refresh() {
        return refresh;
    }

    /**
     * Starts fetching: the first fetch now, then one every interval. Waits up to {@code wait} for the first.
     *
     * @return {@code true} when the first fetch succeeded within {@code wait}
     */
    boolean start(Duration wait) throws InterruptedException {
        CompletableFuture<JwtKeys> first = refreshAndReschedule();
        try {
            first.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // reported below
        }
        return source.hasFetched();
    }

    private CompletableFuture<JwtKeys> refreshAndReschedule() {
        CompletableFuture<JwtKeys> done = source.refresh().toCompletableFuture();
        done.whenComplete((keys, error) -> {
            if (closed) {
                return;
            }
            try {
                thread.schedule(this::refreshAndReschedule, (lastFetchFailed ? retry : refresh).toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closed meanwhile
            }
        });
        return done;
    }

    /** One fetch, on the JWKS thread. */
    private JwtKeys fetch() {
        try {
            List<String> skipped = new ArrayList<>();
            JwtKeys keys = JwtKeys.fromJwks(download(), skipped::add);
            if (keys.isEmpty()) {
                throw new IOException("no usable key" + (skipped.isEmpty() ? "" : " (" + skipped.size()
                        + " left out, first: " + skipped.get(0) + ")"));
            }
            succeeded(keys, skipped);
            return keys;
        } catch (IOException | RuntimeException e) {
            failed(e);
            throw new CompletionException(e);
        }
    }

    private void succeeded(JwtKeys keys, List<String> skipped) {
        successes.incrementAndGet();
        if (lastFetchFailed && failuresInARow > 0) {
            log.info("JWKS {}: fetched again after {} failed attempt(s)", shownUrl, failuresInARow);
        }
        lastFetchFailed = false;
        failuresInARow = 0;
        lastProblem = null;
        String described = keys.toString();
        if (!described.equals(lastKeys)) {
            // The first fetch, and every rotation: which keys are now in force.
            log.info("JWKS {}: {} key(s) {}{}", shownUrl, keys.size(), described,
                    skipped.isEmpty() ? "" : "; left out: " + skipped);
            lastKeys = described;
        }
    }

    private void failed(Exception e) {
        if (closed) {
            return;
        }
        failures.incrementAndGet();
        lastFetchFailed = true;
        failuresInARow++;
        String why = problem(e);
        lastProblem = why;
        failureWarning.warn("JWKS " + shownUrl + ": fetch failed (" + why + ");", null);
    }

    /** A short reason for logs and /readyz. */
    static String problem(Throwable e) {
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        if (e instanceof ConnectException) {
            return "cannot connect";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host";
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.length() <= 200 ? m : m.substring(0, 200) + "...";
    }

    private String download() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TOTAL_TIMEOUT_MILLIS);
        HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
        try {
            c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
            c.setReadTimeout(READ_TIMEOUT_MILLIS);
            c.setInstanceFollowRedirects(false);
            c.setUseCaches(false);
            c.setRequestProperty("Accept", "application/jwk-set+json, application/json");
            int status = c.getResponseCode();
            if (status != HttpURLConnection.HTTP_OK) {
                throw new IOException("HTTP " + status);
            }
            if (c.getContentLengthLong() > MAX_BYTES) {
                throw new IOException("response larger than " + MAX_BYTES + " bytes");
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try (InputStream in = c.getInputStream()) {
                for (int n; (n = in.read(buf)) != -1; ) {
                    if (body.size() + n > MAX_BYTES) {
                        throw new IOException("response larger than " + MAX_BYTES + " bytes");
                    }
                    // Each read is bounded by the read timeout; this bounds a server that trickles.
                    if (System.nanoTime() - deadline > 0) {
                        throw new IOException("response took longer than " + TOTAL_TIMEOUT_MILLIS + " ms");
                    }
                    body.write(buf, 0, n);
                }
            }
            return body.toString(StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** Fails, with the reason, until a first fetch has succeeded; a later failure keeps the node ready. */
    ReadinessCheck readinessCheck() {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return "jwks";
            }

            @Override
            public Result check() {
                if (source.hasFetched()) {
                    return Result.READY;
                }
                String why = lastProblem;
                return Result.notReady("no key fetched yet from the JWKS URL"
                        + (why == null ? " (first fetch under way)" : " (last attempt: " + why + ")"));
            }
        };
    }

    void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("gateway.jwks.fetches", successes, AtomicLong::get)
                .tag("result", "success")
                .description("Fetches of the JWKS URL, by outcome")
                .register(registry);
        FunctionCounter.builder("gateway.jwks.fetches", failures, AtomicLong::get)
                .tag("result", "failure")
                .description("Fetches of the JWKS URL, by outcome")
                .register(registry);
        Gauge.builder("gateway.jwks.keys", source, s -> s.fetchedKeys().size())
                .description("Keys held from the JWKS URL (from its last good fetch)")
                .register(registry);
    }

    /** Why the last fetch failed, or {@code null} when it succeeded or none has finished. */
    String lastProblem() {
        return lastProblem;
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
    }

    @Override
    public String toString() {
        return "JWKS URL " + shownUrl + " (refreshed every " + refresh.toSeconds() + "s)";
    }
}
