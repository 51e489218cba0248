package io.chatgateway.server.metrics;

import io.chatgateway.Gateway;
import io.chatgateway.server.health.Readiness;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.PlatformDependent;

import java.util.concurrent.TimeUnit;

/**
 * The server's meters: one Prometheus registry holding the engine's counters ({@link GatewayMeterBinder}), JVM and
 * process metrics, Netty's direct memory and allocator, event-loop queues and readiness; plus the message-rate
 * history for the dashboard. Other modules (the cluster router) register their own meters on {@link #registry()}.
 */
public final class ServerMetrics implements AutoCloseable {
    /** Prometheus text format 0.0.4, what every scraper understands. */
    public static final String TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** OpenMetrics 1.0, when the scraper asks for it. */
    public static final String OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final MessageRates rates;
    private final Counter adminAuthFailures;
    private ScheduledFuture<?> sampler;

    public ServerMetrics(Gateway gateway, Readiness readiness) {
        this.rates = new MessageRates(gateway.metrics(), gateway.connections(), MessageRates.DEFAULT_CAPACITY);
        new GatewayMeterBinder(gateway).bindTo(registry);
        this.adminAuthFailures = Counter.builder("gateway.admin.auth.failures")
                .description("Admin API requests with a wrong bearer token")
                .register(registry);
        Gauge.builder("gateway.ready", readiness, r -> r.evaluate().ready() ? 1 : 0)
                .description("1 when the node should receive traffic (what /readyz answers), else 0")
                .register(registry);

        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);

        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider) {
            new NettyAllocatorMetrics((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).bindTo(registry);
        }
        // Netty's own count of the direct memory it holds, whatever the allocator; -1 when it does not track it.
        if (PlatformDependent.usedDirectMemory() >= 0) {
            Gauge.builder("netty.direct.memory.used", PlatformDependent::usedDirectMemory)
                    .description("Direct memory held by Netty (all allocators)")
                    .baseUnit("bytes")
                    .register(registry);
        }
        Gauge.builder("netty.direct.memory.max", PlatformDependent::maxDirectMemory)
                .description("The most direct memory Netty may hold")
                .baseUnit("bytes")
                .register(registry);
    }

    /** The registry; register more meters on it (e.g. the cluster's). Low-cardinality tags only. */
    public MeterRegistry registry() {
        return registry;
    }

    /** An admin API request presented a wrong token. */
    public void adminAuthFailure() {
        adminAuthFailures.increment();
    }

    /** The dashboard's message-rate history. */
    public MessageRates messageRates() {
        return rates;
    }

    /**
     * Binds the event-loop metrics and starts sampling message rates once a second on one of the loops (reading a
     * few counters: nothing that could block).
     */
    public synchronized void start(EventLoopGroup group) {
        new NettyEventExecutorMetrics(group).bindTo(registry);
        rates.sample(System.currentTimeMillis());
        sampler = group.next().scheduleAtFixedRate(() -> rates.sample(System.currentTimeMillis()), 1, 1,
                TimeUnit.SECONDS);
    }

    /**
     * The current values in Prometheus text format, or OpenMetrics when {@code accept} asks for it.
     */
    public Scrape scrape(String accept) {
        String type = accept != null && accept.contains("application/openmetrics-text")
                ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
        return new Scrape(type, registry.scrape(type));
    }

    @Override
    public synchronized void close() {
        if (sampler != null) {
            sampler.cancel(false);
            sampler = null;
        }
        gcMetrics.close();
        registry.close();
    }

    /**
     * One scrape.
     *
     * @param contentType the exposition format's content type
     * @param body        the text
     */
    public record Scrape(String contentType, String body) {
    }
}
