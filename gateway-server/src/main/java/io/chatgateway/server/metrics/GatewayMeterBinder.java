package io.chatgateway.server.metrics;

import io.chatgateway.Gateway;
import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.metrics.OutboundType;
import io.chatgateway.metrics.RefusalReason;
import io.chatgateway.policy.AddressLimitPolicy;
import io.chatgateway.policy.UnauthenticatedLimit;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.FrameType;
import io.chatgateway.protocol.KickReason;
import io.chatgateway.session.ConnectionRegistry;
import io.chatgateway.session.Transport;
import io.chatgateway.history.History;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.function.ToDoubleFunction;

/**
 * Exposes the engine's own counters ({@link GatewayMetrics}) and registry sizes as Micrometer meters. Nothing is
 * counted twice: every meter is a function counter or gauge that reads the engine's {@link java.util.concurrent.atomic.LongAdder}s
 * or sizes when scraped, so the hot path keeps incrementing one adder and pays nothing for the export.
 *
 * <p>Labels are enums only ({@code transport}, {@code reason}, {@code code}, {@code type}), so the number of series
 * is fixed whatever the traffic; never a user id or a room name.
 *
 * <p>In Prometheus (names after Micrometer's naming convention):
 * <pre>
 * gateway_connections{transport}               current connections, by transport
 * gateway_connections_authenticated            connections with a user
 * gateway_connections_max                      the connection limit
 * gateway_users                                distinct users online
 * gateway_rooms                                rooms with at least one member
 * gateway_connections_opened_total{transport}  gateway_connections_closed_total{transport}
 * gateway_connections_rejected_total           refused with server_busy
 * gateway_kicks_total{reason}                  gateway_errors_total{code}
 * gateway_frames_in_total{type}                gateway_frames_out_total{type}   (type="invalid" for unparseable input)
 * gateway_payload_received_bytes_total         gateway_payload_sent_bytes_total
 * gateway_deliveries_total                     gateway_write_failures_total
 * gateway_evictions_total                      gateway_auth_failures_total
 * gateway_connections_refused_total{reason}    turned away at the front door (origin, address_connections,
 *                                              address_rate, address_table_full, unauthenticated,
 *                                              proxy_missing, proxy_invalid)
 * gateway_tls_handshake_failures_total         gateway_connections_unauthenticated (and _max)
 * gateway_client_addresses                     addresses tracked by the per-address limits (when on)
 * </pre>
 */
public final class GatewayMeterBinder implements MeterBinder {
    private final Gateway gateway;

    public GatewayMeterBinder(Gateway gateway) {
        this.gateway = gateway;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        GatewayMetrics m = gateway.metrics();
        ConnectionRegistry connections = gateway.connections();

        for (Transport t : Transport.values()) {
            // Opened and closed are counted at registration and removal, so their difference is exact per transport.
            Gauge.builder("gateway.connections", m, x -> x.opened(t) - x.closed(t))
                    .description("Current connections, by transport")
                    .tag("transport", t.label())
                    .register(registry);
            counter(registry, "gateway.connections.opened", "Connections registered since start", m,
                    x -> x.opened(t), "transport", t.label());
            counter(registry, "gateway.connections.closed", "Connections removed since start", m,
                    x -> x.closed(t), "transport", t.label());
        }
        Gauge.builder("gateway.connections.authenticated", connections, ConnectionRegistry::authenticatedCount)
                .description("Connections with an authenticated user")
                .register(registry);
        Gauge.builder("gateway.connections.max", connections, ConnectionRegistry::maxConnections)
                .description("The connection limit; the next connection gets server_busy")
                .register(registry);
        Gauge.builder("gateway.users", connections, ConnectionRegistry::userCount)
                .description("Distinct users with at least one connection on this node")
                .register(registry);
        Gauge.builder("gateway.rooms", gateway.rooms(), r -> r.size())
                .description("Rooms with at least one member on this node")
                .register(registry);
        counter(registry, "gateway.connections.rejected", "Connections refused because the limit was reached", m,
                GatewayMetrics::rejectedConnections);

        for (KickReason r : KickReason.values()) {
            counter(registry, "gateway.kicks", "Connections kicked by the gateway, by reason", m,
                    x -> x.kicks(r), "reason", r.wireName());
        }
        for (ErrorCode c : ErrorCode.values()) {
            counter(registry, "gateway.errors", "Error frames sent, by code", m, x -> x.errors(c), "code", c.wireName());
        }
        for (FrameType t : FrameType.values()) {
            counter(registry, "gateway.frames.in", "Frames received, by type", m, x -> x.framesIn(t),
                    "type", t.wireName());
        }
        counter(registry, "gateway.frames.in", "Frames received, by type", m, GatewayMetrics::invalidFramesIn,
                "type", "invalid");
        for (OutboundType t : OutboundType.values()) {
            counter(registry, "gateway.frames.out", "Frames sent, by type", m, x -> x.framesOut(t),
                    "type", t.wireName());
        }
        FunctionCounter.builder("gateway.payload.received", m, GatewayMetrics::bytesIn)
                .description("JSON payload bytes received (without transport framing)")
                .baseUnit("bytes")
                .register(registry);
        FunctionCounter.builder("gateway.payload.sent", m, GatewayMetrics::bytesOut)
                .description("JSON payload bytes sent (without transport framing)")
                .baseUnit("bytes")
                .register(registry);
        counter(registry, "gateway.deliveries", "Messages handed to recipient connections", m,
                GatewayMetrics::deliveries);
        counter(registry, "gateway.write.failures", "Writes to a connection that failed", m,
                GatewayMetrics::writeFailures);
        counter(registry, "gateway.evictions", "Connections closed because a write to them failed", m,
                GatewayMetrics::evictions);
        counter(registry, "gateway.auth.failures", "Tokens rejected", m, GatewayMetrics::authFailures);

        for (boolean room : new boolean[] {true, false}) {
            for (boolean recovered : new boolean[] {true, false}) {
                counter(registry, "gateway.recoveries",
                        "Resumptions with since (join: room, auth: inbox), by whether everything missed was recovered",
                        m, x -> x.recoveries(room, recovered), "kind", room ? "room" : "inbox",
                        "result", recovered ? "recovered" : "failed");
            }
        }
        History history = gateway.history();
        // A cluster keeps history in Redis: these are then absent (the broker's INFO tells its memory).
        if (history.stats().bytes() >= 0) {
            Gauge.builder("gateway.history.memory", history, h -> h.stats().bytes())
                    .description("Bytes held by room histories and inboxes (frames and bookkeeping), against history-max-bytes")
                    .baseUnit("bytes")
                    .register(registry);
            Gauge.builder("gateway.history.entries", history, h -> h.stats().entries())
                    .description("Messages held in room histories and inboxes")
                    .register(registry);
            FunctionCounter.builder("gateway.history.evictions", history, h -> h.stats().trimmed())
                    .description("History messages dropped: trimmed (count), expired (age) or evicted (memory budget)")
                    .tags("reason", "trimmed").register(registry);
            FunctionCounter.builder("gateway.history.evictions", history, h -> h.stats().expired())
                    .description("History messages dropped: trimmed (count), expired (age) or evicted (memory budget)")
                    .tags("reason", "expired").register(registry);
            FunctionCounter.builder("gateway.history.evictions", history, h -> h.stats().evicted())
                    .description("History messages dropped: trimmed (count), expired (age) or evicted (memory budget)")
                    .tags("reason", "budget").register(registry);
        }

        // ---- front door (issue 9): refusals before a connection is a protocol connection, TLS handshakes
        for (RefusalReason r : RefusalReason.values()) {
            counter(registry, "gateway.connections.refused",
                    "Connections turned away at the front door (PROXY header, per-address limits, unauthenticated cap, "
                            + "origin), by reason", m, x -> x.refused(r), "reason", r.label());
        }
        counter(registry, "gateway.tls.handshake.failures", "TLS handshakes that failed", m,
                GatewayMetrics::tlsHandshakeFailures);
        Gauge.builder("gateway.connections.unauthenticated", gateway.admission().unauthenticated(),
                        UnauthenticatedLimit::count)
                .description("Connections open but not yet authenticated, both ports (max-unauthenticated-connections)")
                .register(registry);
        Gauge.builder("gateway.connections.unauthenticated.max", gateway.admission().unauthenticated(),
                        UnauthenticatedLimit::max)
                .description("The max-unauthenticated-connections limit")
                .register(registry);
        if (gateway.admission().addressLimits() != null) {
            Gauge.builder("gateway.client.addresses", gateway.admission().addressLimits(),
                            AddressLimitPolicy::trackedAddresses)
                    .description("Client addresses (IPv6: /64 prefixes) tracked by the per-address limits")
                    .register(registry);
        }
    }

    private static void counter(MeterRegistry registry, String name, String description, GatewayMetrics m,
                                ToDoubleFunction<GatewayMetrics> f, String... tags) {
        FunctionCounter.builder(name, m, f).description(description).tags(tags).register(registry);
    }
}
