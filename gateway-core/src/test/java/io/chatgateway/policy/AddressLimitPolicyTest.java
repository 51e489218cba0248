package io.chatgateway.policy;

import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

import static io.chatgateway.policy.AddressLimitPolicy.Verdict.ADMITTED;
import static io.chatgateway.policy.AddressLimitPolicy.Verdict.TOO_FAST;
import static io.chatgateway.policy.AddressLimitPolicy.Verdict.TOO_MANY_ADDRESSES;
import static io.chatgateway.policy.AddressLimitPolicy.Verdict.TOO_MANY_CONNECTIONS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressLimitPolicyTest {
    private final MockTicker ticker = Ticker.newMockTicker();

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void refusesTheConnectionPastTheLimitOfOneAddressAndNotOthers() {
        AddressLimitPolicy p = new AddressLimitPolicy(2, 0, 100, ticker);
        InetAddress a = ip("10.0.0.1");
        assertEquals(ADMITTED, p.tryAcquire(a));
        assertEquals(ADMITTED, p.tryAcquire(a));
        assertEquals(TOO_MANY_CONNECTIONS, p.tryAcquire(a));
        assertEquals(2, p.connections(a));
        assertEquals(ADMITTED, p.tryAcquire(ip("10.0.0.2")), "another address has its own count");
        p.release(a);
        assertEquals(ADMITTED, p.tryAcquire(a), "a closed connection frees its slot");
        assertEquals(TOO_MANY_CONNECTIONS, p.tryAcquire(a));
    }

    @Test
    void letsABurstOfTwiceTheRateThroughThenTheRate() {
        AddressLimitPolicy p = new AddressLimitPolicy(0, 5, 100, ticker);
        InetAddress a = ip("10.0.0.1");
        for (int i = 0; i < 10; i++) {
            assertEquals(ADMITTED, p.tryAcquire(a), "burst " + i);
            p.release(a);
        }
        assertEquals(TOO_FAST, p.tryAcquire(a));
        assertEquals(ADMITTED, p.tryAcquire(ip("10.0.0.2")), "another address has its own bucket");
        ticker.advance(199, TimeUnit.MILLISECONDS);
        assertEquals(TOO_FAST, p.tryAcquire(a));
        ticker.advance(2, TimeUnit.MILLISECONDS);
        assertEquals(ADMITTED, p.tryAcquire(a), "one more every 200 ms at 5/s");
        assertEquals(TOO_FAST, p.tryAcquire(a));
        ticker.advance(1, TimeUnit.HOURS);
        for (int i = 0; i < 10; i++) {
            assertEquals(ADMITTED, p.tryAcquire(a), "never more than the burst saved up: " + i);
        }
        assertEquals(TOO_FAST, p.tryAcquire(a));
    }

    @Test
    void aRefusalCostsNoTokenAndCountsNoConnection() {
        AddressLimitPolicy p = new AddressLimitPolicy(1, 1, 100, ticker); // burst 2
        InetAddress a = ip("10.0.0.1");
        assertEquals(ADMITTED, p.tryAcquire(a));
        for (int i = 0; i < 5; i++) {
            assertEquals(TOO_MANY_CONNECTIONS, p.tryAcquire(a));
        }
        p.release(a);
        assertEquals(ADMITTED, p.tryAcquire(a), "the refusals above took no token");
        p.release(a);
        assertEquals(TOO_FAST, p.tryAcquire(a));
        assertEquals(0, p.connections(a), "a refusal for rate counts no connection");
    }

    @Test
    void aRateBelowHalfAConnectionPerSecondStillLetsOneIn() {
        AddressLimitPolicy p = new AddressLimitPolicy(0, 0.1, 100, ticker);
        InetAddress a = ip("10.0.0.1");
        assertEquals(ADMITTED, p.tryAcquire(a));
        assertEquals(TOO_FAST, p.tryAcquire(a));
        ticker.advance(10, TimeUnit.SECONDS);
        assertEquals(ADMITTED, p.tryAcquire(a));
    }

    @Test
    void groupsIpv6AddressesByTheirSlash64() {
        AddressLimitPolicy p = new AddressLimitPolicy(2, 0, 100, ticker);
        assertEquals(ADMITTED, p.tryAcquire(ip("2001:db8:1:2::1")));
        assertEquals(ADMITTED, p.tryAcquire(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        assertEquals(TOO_MANY_CONNECTIONS, p.tryAcquire(ip("2001:db8:1:2:abcd::17")), "same /64");
        assertEquals(ADMITTED, p.tryAcquire(ip("2001:db8:1:3::1")), "the next /64 is someone else");
        assertEquals(2, p.connections(ip("2001:db8:1:2::99")));
    }

    @Test
    void ipv4AndIpv4MappedAddressesShareOneKeyThatNoIpv6PrefixHas() {
        assertEquals(AddressLimitPolicy.key(ip("192.0.2.7")), AddressLimitPolicy.key(ip("::ffff:192.0.2.7")));
        assertNotEquals(AddressLimitPolicy.key(ip("192.0.2.7")), AddressLimitPolicy.key(ip("::c000:207")));
        assertNotEquals(AddressLimitPolicy.key(ip("192.0.2.7")), AddressLimitPolicy.key(ip("192.0.2.8")));
    }

    @Test
    void staysBoundedUnderAFloodOfDistinctAddresses() {
        int max = 1000;
        AddressLimitPolicy p = new AddressLimitPolicy(5, 1, max, ticker);
        // 50,000 addresses each connect once and leave at once, as a scan would.
        for (int i = 0; i < 50_000; i++) {
            InetAddress a = ip("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255));
            assertEquals(ADMITTED, p.tryAcquire(a), "address " + i);
            p.release(a);
            assertTrue(p.trackedAddresses() <= max, "table at " + p.trackedAddresses());
            if (i % 100 == 0) {
                ticker.advance(1, TimeUnit.MILLISECONDS);
            }
        }
    }

    @Test
    void keepsAddressesWithOpenConnectionsAndRefusesNewOnesWhenAllHaveThem() {
        AddressLimitPolicy p = new AddressLimitPolicy(3, 0, 10, ticker);
        for (int i = 0; i < 10; i++) {
            assertEquals(ADMITTED, p.tryAcquire(ip("10.0.1." + i)));
        }
        assertEquals(TOO_MANY_ADDRESSES, p.tryAcquire(ip("10.0.2.1")));
        assertEquals(ADMITTED, p.tryAcquire(ip("10.0.1.3")), "a known address still gets its slots");
        assertEquals(2, p.connections(ip("10.0.1.3")), "open connections survive a full table");
        p.release(ip("10.0.1.0"));
        ticker.advance(1, TimeUnit.SECONDS);
        assertEquals(ADMITTED, p.tryAcquire(ip("10.0.2.1")), "room once an address has no connection left");
    }

    @Test
    void forgetsAnAddressWithoutConnectionsWhenThereIsNoRateToRemember() {
        AddressLimitPolicy p = new AddressLimitPolicy(3, 0, 10, ticker);
        InetAddress a = ip("10.0.0.1");
        p.tryAcquire(a);
        assertEquals(1, p.trackedAddresses());
        p.release(a);
        assertEquals(0, p.trackedAddresses());
        p.release(a);
        assertEquals(0, p.connections(a), "a release too many changes nothing");
    }

    @Test
    void isOffWhenBothLimitsAreZero() {
        assertFalse(new AddressLimitPolicy(0, 0, 10, ticker).isEnabled());
        assertTrue(new AddressLimitPolicy(1, 0, 10, ticker).isEnabled());
        assertTrue(new AddressLimitPolicy(0, 0.5, 10, ticker).isEnabled());
        assertThrows(IllegalArgumentException.class, () -> new AddressLimitPolicy(-1, 0, 10, ticker));
        assertThrows(IllegalArgumentException.class, () -> new AddressLimitPolicy(0, Double.NaN, 10, ticker));
    }
}
