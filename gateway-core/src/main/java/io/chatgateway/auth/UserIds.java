package io.chatgateway.auth;

/**
 * Rules for user ids, whatever the authentication mode: 1 to {@link #MAX_LENGTH} characters, no control
 * characters, and not starting with {@code $}, which is reserved for the gateway's own senders such as
 * {@code $server}.
 */
public final class UserIds {
    /** Longest user id, in UTF-16 characters. */
    public static final int MAX_LENGTH = 128;

    private UserIds() {
    }

    /** @return {@code null} when the id is acceptable, else why not */
    public static String problem(String user) {
        if (user == null || user.isEmpty()) {
            return "user id is empty";
        }
        if (user.length() > MAX_LENGTH) {
            return "user id is longer than " + MAX_LENGTH + " characters";
        }
        if (user.charAt(0) == '$') {
            return "user ids starting with '$' are reserved";
        }
        for (int i = 0; i < user.length(); i++) {
            if (Character.isISOControl(user.charAt(i))) {
                return "user id contains a control character";
            }
        }
        return null;
    }
}
