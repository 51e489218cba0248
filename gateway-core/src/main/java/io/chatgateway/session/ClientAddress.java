package io.chatgateway.session;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.SocketAddress;

/**
 * The address of the client behind a channel: the one a PROXY protocol header named, when the gateway sits behind a
 * load balancer that sends it, else the socket's own peer. Limits, logs, the admin API and the dashboard all read
 * it here, so that they agree on who the client is.
 */
public final class ClientAddress {
    private static final AttributeKey<SocketAddress> KEY = AttributeKey.valueOf(ClientAddress.class, "clientAddress");

    private ClientAddress() {
    }

    /** The client's address: the proxied one when set, else {@link Channel#remoteAddress()}. */
    public static SocketAddress of(Channel channel) {
        SocketAddress a = proxied(channel);
        return a != null ? a : channel.remoteAddress();
    }

    /** Records the address a PROXY header named for this channel. */
    public static void set(Channel channel, SocketAddress address) {
        channel.attr(KEY).set(address);
    }

    /** {@code true} when the address came from a PROXY header rather than the socket. */
    public static boolean isProxied(Channel channel) {
        return proxied(channel) != null;
    }

    /** The address a PROXY header named, or {@code null}. */
    private static SocketAddress proxied(Channel channel) {
        // hasAttr first: attr() would add an empty attribute to every connection that never had a PROXY header
        return channel.hasAttr(KEY) ? channel.attr(KEY).get() : null;
    }
}
