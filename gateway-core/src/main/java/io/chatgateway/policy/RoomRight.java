package io.chatgateway.policy;

/** What a grant allows in a room: both rights include joining it and reading it (presence, history). */
public enum RoomRight {
    /** Join and read, not publish ({@code rooms_readonly}, a room token with {@code readonly: true}). */
    READ,
    /** Join, read and publish. */
    PUBLISH;

    /** The stronger of two rights, either of which may be {@code null}. */
    public static RoomRight max(RoomRight a, RoomRight b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a == PUBLISH || b == PUBLISH ? PUBLISH : READ;
    }
}
