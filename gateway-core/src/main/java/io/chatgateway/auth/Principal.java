package io.chatgateway.auth;

import io.chatgateway.policy.RoomPatterns;

import java.util.Objects;

/**
 * Who a connection token says the client is, and what it grants: the user id ({@code sub}), when the token stops
 * being valid ({@code exp}) and the rooms it grants ({@code rooms}: join, read and publish; {@code rooms_readonly}:
 * join and read).
 *
 * @param user          the user id
 * @param expiresAt     the token's {@code exp} in epoch seconds, or {@code 0} when the token does not expire
 *                      (development mode)
 * @param rooms         rooms granted with the publish right
 * @param readonlyRooms rooms granted without it
 */
public record Principal(String user, long expiresAt, RoomPatterns rooms, RoomPatterns readonlyRooms) {
    public Principal {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(rooms, "rooms");
        Objects.requireNonNull(readonlyRooms, "readonlyRooms");
        if (expiresAt < 0) {
            throw new IllegalArgumentException("expiresAt: " + expiresAt + " (expected: >= 0)");
        }
    }

    /** A user with no expiry and no room grants (development mode). */
    public static Principal of(String user) {
        return new Principal(user, 0, RoomPatterns.NONE, RoomPatterns.NONE);
    }

    /** {@code true} when the token expires. */
    public boolean expires() {
        return expiresAt > 0;
    }
}
