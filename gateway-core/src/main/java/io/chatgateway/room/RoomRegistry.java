package io.chatgateway.room;

import io.chatgateway.policy.Grant;
import io.chatgateway.session.Connection;
import io.chatgateway.session.ConnectionState;
import io.netty.util.concurrent.EventExecutor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rooms of this node, created on first join and dropped when their last member leaves.
 *
 * <p>Joins and leaves of one room are serialised by {@link ConcurrentHashMap#compute} on the room's name, so the
 * first-connection / last-connection decision for {@code joined} and {@code left} is exact even when several
 * connections of a user join at once on different event loops. Different rooms never contend.
 */
public final class RoomRegistry {
    /** Outcome of {@link #join}. */
    public enum JoinResult {
        /** Joined, and it is the user's first connection in the room: announce {@code joined}. */
        FIRST_OF_USER,
        /** Joined; the user was already in the room through another connection. */
        JOINED,
        /** This connection was already a member; nothing changed. */
        ALREADY_MEMBER,
        /** The connection is closing; nothing changed. */
        CLOSED
    }

    /** Outcome of {@link #leave}. */
    public enum LeaveResult {
        /** Left, and it was the user's last connection in the room: announce {@code left}. */
        LAST_OF_USER,
        /** Left; the user is still in the room through another connection. */
        LEFT,
        /** This connection was not a member. */
        NOT_MEMBER
    }

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final EventExecutor groupExecutor;

    /**
     * @param groupExecutor the executor that notifies {@link io.netty.channel.group.ChannelGroupFuture} listeners
     */
    public RoomRegistry(EventExecutor groupExecutor) {
        this.groupExecutor = groupExecutor;
    }

    /**
     * Adds an authenticated connection to a room under a grant (a member already in it gets the new grant). Call on
     * the connection's event loop.
     */
    public JoinResult join(Connection c, String roomName, Grant grant) {
        ConnectionState state = c.state();
        if (state == ConnectionState.DISCONNECTING || state == ConnectionState.DISCONNECTED) {
            return JoinResult.CLOSED;
        }
        if (c.regrant(roomName, grant)) {
            return JoinResult.ALREADY_MEMBER;
        }
        int[] userConnections = new int[1];
        rooms.compute(roomName, (name, room) -> {
            Room r = room == null ? new Room(name, groupExecutor) : room;
            r.members().add(c.channel());
            r.membershipChanged();
            userConnections[0] = r.addUser(c.user());
            return r;
        });
        c.addRoom(roomName, grant);
        return userConnections[0] == 1 ? JoinResult.FIRST_OF_USER : JoinResult.JOINED;
    }

    /** Removes a connection from a room. Call on the connection's event loop. */
    public LeaveResult leave(Connection c, String roomName) {
        if (!c.removeRoom(roomName)) {
            return LeaveResult.NOT_MEMBER;
        }
        return removeMember(c, roomName);
    }

    /**
     * Removes a closed connection from all its rooms.
     *
     * @return the rooms in which it was the user's last connection (to announce {@code left} in)
     */
    public Collection<String> leaveAll(Connection c) {
        String[] joined = c.clearRooms();
        if (joined.length == 0) {
            return Collections.emptyList();
        }
        List<String> last = new ArrayList<>(joined.length);
        for (String room : joined) {
            if (removeMember(c, room) == LeaveResult.LAST_OF_USER) {
                last.add(room);
            }
        }
        return last;
    }

    private LeaveResult removeMember(Connection c, String roomName) {
        int[] remaining = {-1};
        rooms.computeIfPresent(roomName, (name, r) -> {
            r.members().remove(c.channel());
            r.membershipChanged();
            remaining[0] = r.removeUser(c.user());
            return r.isEmpty() ? null : r;
        });
        return remaining[0] == 0 ? LeaveResult.LAST_OF_USER : LeaveResult.LEFT;
    }

    /** The room with this name, or {@code null} when it has no member on this node. */
    public Room get(String name) {
        return rooms.get(name);
    }

    /** Number of rooms with at least one member on this node. */
    public int size() {
        return rooms.size();
    }

    /** The names of the rooms (a live view, weakly consistent). */
    public Set<String> names() {
        return Collections.unmodifiableSet(rooms.keySet());
    }

    /** The rooms (a live view, weakly consistent). */
    public Collection<Room> rooms() {
        return Collections.unmodifiableCollection(rooms.values());
    }
}
