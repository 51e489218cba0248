package io.chatgateway.server.metrics;

import io.chatgateway.server.cluster.ClusterStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Exposes the cluster link's state ({@link ClusterStatus}) as meters, read when scraped:
 * <pre>
 * gateway_cluster_broker_available            1 when cross-node operations work, else 0
 * gateway_cluster_broker_state{state}         1 for the current state (connecting, available, resyncing, ...)
 * gateway_cluster_live_nodes                  live nodes as of the last lease refresh
 * gateway_cluster_pubsub_lag_seconds          round trip of the last pub/sub probe through Redis (-1 before one)
 * gateway_cluster_reconnects_total            recoveries from broker outages
 * gateway_cluster_unavailable_answers_total   operations answered unavailable
 * gateway_cluster_messages_received_total     messages received from the broker
 * gateway_cluster_batches_total               registry script calls ...
 * gateway_cluster_operations_total            ... and the operations they carried
 * gateway_cluster_deferred_operations         clean-ups waiting for the broker
 * gateway_cluster_reaped_nodes_total          dead nodes this node cleaned up after
 * </pre>
 */
public final class ClusterMeterBinder implements MeterBinder {
    private final ClusterStatus status;

    public ClusterMeterBinder(ClusterStatus status) {
        this.status = status;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("gateway.cluster.broker.available", status, s -> s.isBrokerAvailable() ? 1 : 0)
                .description("1 when the cluster broker is reachable and in sync").register(registry);
        for (ClusterStatus.BrokerState state : ClusterStatus.BrokerState.values()) {
            Gauge.builder("gateway.cluster.broker.state", status, s -> s.brokerState() == state ? 1 : 0)
                    .description("1 for the broker link's current state")
                    .tag("state", state.name().toLowerCase(Locale.ROOT)).register(registry);
        }
        Gauge.builder("gateway.cluster.live.nodes", status, ClusterStatus::liveNodes)
                .description("Live nodes in the cluster, this one included").register(registry);
        Gauge.builder("gateway.cluster.pubsub.lag", status,
                        s -> s.pubSubLagMillis() < 0 ? -1 : s.pubSubLagMillis() / 1000.0)
                .description("Round trip of the last pub/sub probe through the broker").baseUnit("seconds")
                .register(registry);
        Gauge.builder("gateway.cluster.deferred.operations", status, ClusterStatus::deferredOperations)
                .description("Clean-up operations waiting for the broker").register(registry);
        counter(registry, "gateway.cluster.reconnects", "Recoveries from broker outages", ClusterStatus::reconnects);
        counter(registry, "gateway.cluster.unavailable.answers", "Operations answered unavailable",
                ClusterStatus::unavailableAnswers);
        counter(registry, "gateway.cluster.messages.received", "Messages received from the broker",
                ClusterStatus::messagesReceived);
        counter(registry, "gateway.cluster.batches", "Calls of the batched registry script", ClusterStatus::batches);
        counter(registry, "gateway.cluster.operations", "Registry operations carried by the batches",
                ClusterStatus::operations);
        counter(registry, "gateway.cluster.reaped.nodes", "Dead nodes cleaned up by this node",
                ClusterStatus::reapedNodes);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<ClusterStatus> f) {
        FunctionCounter.builder(name, status, f).description(description).register(registry);
    }
}
