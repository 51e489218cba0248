package io.chatgateway.routing;

import java.util.List;

/**
 * Who is online: a list of user ids, each once, and whether the list was cut at the configured limit.
 *
 * @param users     user ids
 * @param truncated {@code true} when there are more users than listed
 */
public record Presence(List<String> users, boolean truncated) {
    public Presence {
        users = List.copyOf(users);
    }
}
