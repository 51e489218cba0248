package io.chatgateway.policy;

import io.chatgateway.auth.Principal;

import java.util.Objects;

/**
 * Who may do what in which room: the decisions of protocol 1.1's access control, from what the application's
 * backend signed (the connection token's claims, room tokens) and what an operator did, never from what the
 * client claims. A plain class: no Netty types, no state beyond its configuration, thread-safe.
 *
 * <ul>
 *   <li>{@link RoomAccess#OPEN}: every room is granted to everyone, with publish.
 *   <li>{@link RoomAccess#GRANTED}: a join needs a grant: a {@code rooms} claim (publish) or {@code rooms_readonly}
 *       claim (no publish) of the connection's token, where {@code rooms} wins when both match; or a room token;
 *       or the server.
 *   <li>Publishing needs membership under a grant with the publish right.
 *   <li>Reading a room (presence, history) needs membership or a claim that would grant the join.
 *   <li>Global presence is a switch of its own.
 * </ul>
 */
public final class AccessPolicy {
    private final RoomAccess access;
    private final boolean globalPresence;

    public AccessPolicy(RoomAccess access, boolean globalPresence) {
        this.access = Objects.requireNonNull(access, "access");
        this.globalPresence = globalPresence;
    }

    public RoomAccess access() {
        return access;
    }

    /** {@code true} when a join needs a grant ({@link RoomAccess#GRANTED}). */
    public boolean requiresGrant() {
        return access == RoomAccess.GRANTED;
    }

    /** The grant the connection's own token gives for {@code room}, or {@code null} when it gives none. */
    public Grant claimGrant(Principal principal, String room) {
        if (access == RoomAccess.OPEN) {
            return Grant.OPEN;
        }
        if (principal.rooms().matches(room)) {
            return new Grant(Grant.Source.CLAIM, RoomRight.PUBLISH);
        }
        if (principal.readonlyRooms().matches(room)) {
            return new Grant(Grant.Source.CLAIM, RoomRight.READ);
        }
        return null;
    }

    /**
     * The grant of a join that came with a valid room token, combined with what the claims give: the room token's
     * grant, with the stronger of the two rights.
     */
    public Grant roomTokenGrant(Principal principal, String room, RoomRight tokenRight) {
        Grant claim = claimGrant(principal, room);
        return new Grant(Grant.Source.ROOM_TOKEN, RoomRight.max(tokenRight, claim == null ? null : claim.right()));
    }

    /**
     * Whether the connection may see the room's members and history.
     *
     * @param membership its grant in the room, or {@code null} when it is not a member
     */
    public boolean mayRead(Principal principal, Grant membership, String room) {
        return membership != null || claimGrant(principal, room) != null;
    }

    /**
     * Whether the connection may publish to the room.
     *
     * @param membership its grant in the room, or {@code null} when it is not a member
     */
    public boolean mayPublish(Grant membership) {
        return membership != null && membership.mayPublish();
    }

    /** Whether {@code presence} without a room may list every online user. */
    public boolean globalPresence() {
        return globalPresence;
    }

    /**
     * What becomes of a membership when a {@code refresh} replaces the token's claims: rooms joined by a room token,
     * by the server or in open mode keep their grant; rooms joined under a claim get the new claims' grant, or
     * {@code null} when the new token no longer grants them (the connection leaves them, reason {@code revoked}).
     */
    public Grant afterRefresh(Principal next, Grant membership, String room) {
        if (membership.source() != Grant.Source.CLAIM) {
            return membership;
        }
        return claimGrant(next, room);
    }

    @Override
    public String toString() {
        return "AccessPolicy(room-access=" + access.label() + ", global-presence=" + (globalPresence ? "on" : "off")
                + ")";
    }
}
