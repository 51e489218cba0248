package io.chatgateway.server.tls;

import io.chatgateway.server.tls.PemFiles.TlsFileException;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The TLS context of both ports, built from {@code tls-cert-file} and {@code tls-key-file} and rebuilt when they
 * change: a thread of its own (never an event loop) reads both files every {@link #DEFAULT_INTERVAL}, and when
 * their content differs from what the current context was built from, builds a new context and swaps it in for
 * new connections. Open connections keep the context they were made with, so nothing is dropped. A reload that
 * fails (unreadable file, bad PEM, a key that does not match the certificate, as in the middle of replacing both)
 * keeps the old context, is logged and counted, and is tried again when the files change again.
 *
 * <p>TLS 1.3 and 1.2 only. OpenSSL (BoringSSL, from {@code netty-tcnative-boringssl-static}) when it loads, the
 * JDK's TLS otherwise.
 */
public final class TlsContextReloader implements MeterBinder, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TlsContextReloader.class);
    /** How often the files are read: cheap (two small files), and soon enough after a renewal. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final Path certFile;
    private final Path keyFile;
    private final SslProvider provider;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile Loaded current;
    /** The content of the last attempt that failed, so that one bad pair is reported once, not every poll. */
    private byte[][] lastFailed;
    private String lastUnreadable;
    private ScheduledExecutorService poller;

    private record Loaded(SslContext context, X509Certificate leaf, byte[] cert, byte[] key) {
    }

    /**
     * Loads both files now.
     *
     * @throws IllegalStateException with what is wrong with the files, when they cannot be used
     */
    public TlsContextReloader(Path certFile, Path keyFile) {
        this(certFile, keyFile, OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
    }

    /** With a given provider: for tests of the JDK fallback on a machine where OpenSSL loads. */
    TlsContextReloader(Path certFile, Path keyFile, SslProvider provider) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.provider = provider;
        try {
            this.current = load(Files.readAllBytes(certFile), Files.readAllBytes(keyFile));
        } catch (IOException e) {
            throw new IllegalStateException("TLS: cannot read " + e.getMessage(), e);
        } catch (TlsFileException e) {
            throw new IllegalStateException("TLS: " + e.getMessage(), e);
        }
    }

    private Loaded load(byte[] certPem, byte[] keyPem) throws TlsFileException {
        List<X509Certificate> chain = PemFiles.certificates(certPem, "tls-cert-file " + certFile);
        PrivateKey key = PemFiles.privateKey(keyPem, "tls-key-file " + keyFile);
        PemFiles.checkPair(chain.get(0), key, "tls-key-file " + keyFile);
        try {
            SslContext context = SslContextBuilder.forServer(key, chain.toArray(new X509Certificate[0]))
                    .sslProvider(provider)
                    .protocols(PROTOCOLS)
                    .build();
            return new Loaded(context, chain.get(0), certPem, keyPem);
        } catch (Exception e) {
            throw new TlsFileException("cannot build a TLS context from " + certFile + " and " + keyFile + ": " + e);
        }
    }

    /** The context for a new connection. Called on event loops: a volatile read, nothing more. */
    public SslContext current() {
        return current.context;
    }

    /** The server certificate in use. */
    public X509Certificate certificate() {
        return current.leaf;
    }

    /** {@code OpenSSL (BoringSSL ...)} or {@code JDK (OpenSSL unavailable: ...)}, for the start-up log. */
    public String providerDescription() {
        if (provider == SslProvider.OPENSSL) {
            return "OpenSSL (" + OpenSsl.versionString() + ", netty-tcnative)";
        }
        Throwable cause = OpenSsl.unavailabilityCause();
        return "JDK (OpenSSL unavailable: " + (cause == null ? "unknown" : cause.toString()) + ")";
    }

    /** A line for the start-up log: provider, protocols, certificate. */
    public String describe() {
        X509Certificate leaf = certificate();
        return providerDescription() + ", " + String.join(" and ", PROTOCOLS) + ", certificate "
                + leaf.getSubjectX500Principal().getName() + " valid until " + leaf.getNotAfter().toInstant()
                + ", reloaded from " + certFile + " and " + keyFile + " when they change";
    }

    /** Successful reloads since start (the first load not counted). */
    public long reloads() {
        return reloads.get();
    }

    /** Reloads that failed and kept the previous certificate. */
    public long failures() {
        return failures.get();
    }

    /** Starts polling the files every {@code interval} on a daemon thread of its own. */
    public synchronized void start(Duration interval) {
        if (poller != null) {
            return;
        }
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gateway-tls-reload");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        poller.scheduleWithFixedDelay(() -> {
            try {
                checkNow();
            } catch (RuntimeException e) {
                log.warn("TLS reload check failed", e);
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Reads the files and swaps in a new context if their content changed. Never call it on an event loop.
     *
     * @return {@code true} when a new context is in use
     */
    public synchronized boolean checkNow() {
        byte[] cert;
        byte[] key;
        try {
            cert = Files.readAllBytes(certFile);
            key = Files.readAllBytes(keyFile);
        } catch (IOException e) {
            String why = "cannot read " + e.getMessage();
            if (!why.equals(lastUnreadable)) {
                lastUnreadable = why; // a file missing for a while (being replaced) is reported once
                failed(null, null, why);
            }
            return false;
        }
        lastUnreadable = null;
        Loaded now = current;
        if (Arrays.equals(cert, now.cert) && Arrays.equals(key, now.key)) {
            lastFailed = null;
            return false;
        }
        if (lastFailed != null && Arrays.equals(cert, lastFailed[0]) && Arrays.equals(key, lastFailed[1])) {
            return false; // the same bad pair as last time: reported already
        }
        try {
            Loaded next = load(cert, key);
            current = next;
            lastFailed = null;
            reloads.incrementAndGet();
            log.info("TLS certificate reloaded: {} valid until {} (open connections keep the previous one)",
                    next.leaf.getSubjectX500Principal().getName(), next.leaf.getNotAfter().toInstant());
            return true;
        } catch (TlsFileException e) {
            failed(cert, key, e.getMessage());
            return false;
        }
    }

    private void failed(byte[] cert, byte[] key, String why) {
        if (cert != null && lastFailed != null && Arrays.equals(cert, lastFailed[0])
                && Arrays.equals(key, lastFailed[1])) {
            return;
        }
        lastFailed = cert == null ? lastFailed : new byte[][] {cert, key};
        failures.incrementAndGet();
        log.warn("TLS reload failed, keeping the current certificate ({} valid until {}): {}",
                certificate().getSubjectX500Principal().getName(), certificate().getNotAfter().toInstant(), why);
    }

    /**
     * {@code gateway_tls_reloads_total{result="success"|"failure"}} and
     * {@code gateway_tls_certificate_expiry_seconds} (seconds until the certificate in use expires).
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("gateway.tls.reloads", this, TlsContextReloader::reloads)
                .description("Reloads of the TLS certificate and key, by result").tag("result", "success")
                .register(registry);
        FunctionCounter.builder("gateway.tls.reloads", this, TlsContextReloader::failures)
                .description("Reloads of the TLS certificate and key, by result").tag("result", "failure")
                .register(registry);
        Gauge.builder("gateway.tls.certificate.expiry", this,
                        r -> Duration.between(Instant.now(), r.certificate().getNotAfter().toInstant()).toSeconds())
                .description("Seconds until the TLS certificate in use expires").baseUnit("seconds")
                .register(registry);
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
    }
}
