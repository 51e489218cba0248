package io.chatgateway.room;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;

import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A room on this node: the {@link ChannelGroup} of its members' channels, through which every room message is
 * written, and the number of connections each member user has in it (for the first-join / last-leave rule of
 * {@code joined} and {@code left}, and for presence).
 *
 * <p>Membership changes are made by {@link RoomRegistry} only, under the room's map bin; reads are lock-free.
 */
public final class Room {
    private final String name;
    private final ChannelGroup members;
    private final ConcurrentHashMap<String, Integer> users = new ConcurrentHashMap<>(4);
    /** Changes with every membership change (see {@link #membershipVersion}). */
    private volatile int membershipVersion;
    /**
     * What the room's deliverer keeps between a message and its members' writes (the routing package's batches
     * per event loop), made on first use; the room only holds it, and drops it with itself.
     */
    private volatile Object fanOut;

    Room(String name, EventExecutor executor) {
        this.name = name;
        this.members = new DefaultChannelGroup(name, executor);
    }

    public String name() {
        return name;
    }

    /** The members' channels. Write to it to reach every member; closed channels leave it by themselves. */
    public ChannelGroup members() {
        return members;
    }

    /**
     * A number that changes whenever a connection joins or leaves the room through {@link RoomRegistry} (closed
     * channels leave {@link #members()} by themselves first, and through the registry right after): a list of the
     * members taken while it stays the same is still the room's members.
     */
    public int membershipVersion() {
        return membershipVersion;
    }

    /** The deliverer's state of this room, or {@code null} before it set one. */
    public Object fanOut() {
        return fanOut;
    }

    /** Sets the deliverer's state of this room once; returns what the room keeps: {@code state} or an earlier one. */
    public synchronized Object fanOut(Object state) {
        if (fanOut == null) {
            fanOut = state;
        }
        return fanOut;
    }

    /** The member users (each once, whatever its number of connections in the room); a live view. */
    public Set<String> users() {
        return Collections.unmodifiableSet(users.keySet());
    }

    /** Number of member connections. */
    public int connectionCount() {
        return members.size();
    }

    /** Number of member users. */
    public int userCount() {
        return users.size();
    }

    /** Connections {@code user} has in this room. */
    public int connectionsOf(String user) {
        Integer n = users.get(user);
        return n == null ? 0 : n;
    }

    /** Under the room's map bin, after a change of {@link #members()}. */
    void membershipChanged() {
        membershipVersion++;
    }

    int addUser(String user) {
        return users.merge(user, 1, Integer::sum);
    }

    /** @return the user's remaining connections in the room */
    int removeUser(String user) {
        Integer n = users.computeIfPresent(user, (u, count) -> count == 1 ? null : count - 1);
        return n == null ? 0 : n;
    }

    boolean isEmpty() {
        return users.isEmpty();
    }

    @Override
    public String toString() {
        return "Room(" + name + ", " + users.size() + " users, " + members.size() + " connections)";
    }
}
