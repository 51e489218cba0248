package io.chatgateway.server.metrics;

import io.chatgateway.metrics.GatewayMetrics;
import io.chatgateway.protocol.FrameType;
import io.chatgateway.session.ConnectionRegistry;
import io.chatgateway.session.SessionMode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MessageRatesTest {
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final ConnectionRegistry registry = new ConnectionRegistry(10, SessionMode.SINGLE, 1, "t.", metrics,
            () -> 0L);

    @Test
    void derivesPerSecondRatesBetweenSamples() {
        MessageRates rates = new MessageRates(metrics, registry, 10);
        rates.sample(1_000);
        for (int i = 0; i < 6; i++) {
            metrics.frameIn(FrameType.SEND);
        }
        metrics.frameIn(FrameType.PUBLISH);
        metrics.frameIn(FrameType.PING);
        metrics.deliveries(30);
        rates.sample(3_000);
        List<MessageRates.Point> points = rates.history(10);
        assertEquals(1, points.size());
        assertEquals(3_000, points.get(0).timeMillis());
        assertEquals(3.5, points.get(0).received(), 1e-9, "7 messages over 2 s; pings are not messages");
        assertEquals(15.0, points.get(0).delivered(), 1e-9);
    }

    @Test
    void keepsOnlyTheNewestSamplesInFixedMemory() {
        MessageRates rates = new MessageRates(metrics, registry, 4);
        for (int t = 1; t <= 10; t++) {
            metrics.deliveries(t);
            rates.sample(t * 1000L);
        }
        List<MessageRates.Point> points = rates.history(100);
        assertEquals(3, points.size(), "capacity 4 gives 3 intervals");
        assertEquals(List.of(8_000L, 9_000L, 10_000L), points.stream().map(MessageRates.Point::timeMillis).toList());
        assertEquals(10.0, points.get(2).delivered(), 1e-9);
        assertEquals(2, rates.history(2).size());
        assertEquals(9_000L, rates.history(2).get(0).timeMillis());
    }

    @Test
    void hasNoPointsBeforeTwoSamples() {
        MessageRates rates = new MessageRates(metrics, registry, 4);
        assertEquals(0, rates.history(10).size());
        rates.sample(1);
        assertEquals(0, rates.history(10).size());
        assertThrows(IllegalArgumentException.class, () -> new MessageRates(metrics, registry, 1));
    }
}
