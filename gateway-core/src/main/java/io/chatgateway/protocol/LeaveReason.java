package io.chatgateway.protocol;

/** Why a user left a room: the {@code reason} of a {@code left} frame (protocol 1.1). */
public enum LeaveReason {
    /** The user's last connection in the room sent {@code leave}. */
    LEAVE("leave"),
    /** The user's last connection in the room closed. */
    DISCONNECT("disconnect"),
    /** An operator took the user out of the room. */
    REMOVED("removed"),
    /** A {@code refresh} replaced the token whose claim granted the room. */
    REVOKED("revoked");

    private final String wireName;

    LeaveReason(String wireName) {
        this.wireName = wireName;
    }

    /** The reason as written on the wire, e.g. {@code "revoked"}. */
    public String wireName() {
        return wireName;
    }
}
