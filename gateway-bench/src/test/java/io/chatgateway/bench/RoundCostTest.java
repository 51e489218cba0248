package io.chatgateway.bench;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundCostTest {

    private static Map<String, Object> step(double serverMs, long serverCores, double benchMs, long benchCores, double p95) {
        Map<String, Object> s = new HashMap<>();
        s.put("server_cpu_ms_per_round", serverMs);
        s.put("server_cores", serverCores);
        s.put("bench_cpu_ms_per_round", benchMs);
        s.put("bench_cores", benchCores);
        s.put("p95_ms", p95);
        return s;
    }

    @Test
    void theServerLimitsWhenItsRoundTakesMorePerCoreThanTheClients() {
        RoundCost c = RoundCost.of(step(230, 1, 180, 1, 260), "p95");
        assertEquals(RoundCost.SERVER, c.side());
        String line = c.describe(8000);
        assertTrue(line.contains("8,000 clients") && line.contains("230.0 ms") && line.contains("the server's cores"), line);
    }

    @Test
    void theClientsLimitWhenTheirsDoesPerCore() {
        // 400 ms over 2 cores is 200 per core, more than the server's 150 on its one.
        RoundCost c = RoundCost.of(step(150, 1, 400, 2, 260), "p95");
        assertEquals(200.0, c.benchMsPerCore(), 1e-9);
        assertEquals(RoundCost.CLIENTS, c.side());
        assertTrue(c.describe(9000).contains("a cheaper server cannot show more here"), c.describe(9000));
    }

    @Test
    void saysHowMuchOfThePercentileTheBusierSideExplains() {
        RoundCost c = RoundCost.of(step(60, 1, 40, 1, 240), "p95");
        assertEquals(RoundCost.SERVER, c.side());
        assertEquals(0.25, c.shareOfPercentile(), 1e-9);
        assertTrue(c.describe(3000).contains("accounts for 25 % of the p95 (240.0 ms)"), c.describe(3000));
        assertEquals(RoundCost.SERVER, RoundCost.of(step(40, 1, 40, 1, 240), "p95").side(), "a tie names the server");
    }

    @Test
    void nothingWhenASideWasNotMeasured() {
        Map<String, Object> s = step(50, 1, 40, 1, 240);
        s.remove("server_cpu_ms_per_round");
        assertNull(RoundCost.of(s, "p95"));
        Map<String, Object> t = step(50, 1, 40, 1, Double.NaN);
        assertNull(RoundCost.of(t, "p95"), "no percentile: no message completed");
    }
}
