package io.chatgateway.server.metrics;

import io.chatgateway.Gateway;
import io.chatgateway.GatewayConfig;
import io.chatgateway.auth.DevelopmentAuthenticator;
import io.chatgateway.protocol.ErrorCode;
import io.chatgateway.protocol.FrameType;
import io.chatgateway.protocol.KickReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The binder reads the engine's counters; it neither copies nor counts anything itself. */
class GatewayMeterBinderTest {

    @Test
    void metersReadTheEnginesCountersWithoutCountingTwice() {
        Gateway gateway = Gateway.builder(GatewayConfig.builder().build())
                .authenticator(new DevelopmentAuthenticator()).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new GatewayMeterBinder(gateway).bindTo(registry);

        gateway.metrics().frameIn(FrameType.SEND);
        gateway.metrics().frameIn(FrameType.SEND);
        gateway.metrics().kick(KickReason.IDLE);
        gateway.metrics().error(ErrorCode.RATE_LIMITED);
        gateway.metrics().deliveries(5);

        assertEquals(2, count(registry, "gateway.frames.in", "type", "send"));
        assertEquals(0, count(registry, "gateway.frames.in", "type", "publish"));
        assertEquals(1, count(registry, "gateway.kicks", "reason", "idle"));
        assertEquals(1, count(registry, "gateway.errors", "code", "rate_limited"));
        assertEquals(1, count(registry, "gateway.frames.out", "type", "error"), "an error frame is a frame out");
        assertEquals(5, registry.get("gateway.deliveries").functionCounter().count());
        // Reading twice changes nothing: function counters report the engine's totals.
        assertEquals(5, registry.get("gateway.deliveries").functionCounter().count());
        assertEquals(0, registry.get("gateway.connections").tag("transport", "websocket").gauge().value());
    }

    private static double count(SimpleMeterRegistry registry, String name, String tag, String value) {
        FunctionCounter c = registry.get(name).tag(tag, value).functionCounter();
        return c.count();
    }
}
