package io.chatgateway.session;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.AttributeKey;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientAddressTest {
    private static final AttributeKey<SocketAddress> KEY = AttributeKey.valueOf(ClientAddress.class, "clientAddress");

    @Test
    void isTheSocketsPeerAndAddsNothingToTheChannelWithoutAProxyHeader() {
        EmbeddedChannel ch = new EmbeddedChannel();
        assertEquals(ch.remoteAddress(), ClientAddress.of(ch));
        assertFalse(ClientAddress.isProxied(ch));
        assertFalse(ch.hasAttr(KEY), "reading the address left an attribute on the channel");
        ch.finishAndReleaseAll();
    }

    @Test
    void isTheProxiedAddressOnceAHeaderNamedOne() {
        EmbeddedChannel ch = new EmbeddedChannel();
        InetSocketAddress client = new InetSocketAddress("192.0.2.7", 40000);
        ClientAddress.set(ch, client);
        assertEquals(client, ClientAddress.of(ch));
        assertTrue(ClientAddress.isProxied(ch));
        ch.finishAndReleaseAll();
    }
}
