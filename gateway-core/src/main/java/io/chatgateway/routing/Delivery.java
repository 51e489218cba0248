package io.chatgateway.routing;

/**
 * What became of a direct or room message: the connections it was written to (or handed to the broker for), and
 * whether it was kept for a recipient who had no connection (an inbox).
 *
 * @param recipients connections written to
 * @param stored     kept in the recipient's inbox although no connection received it
 */
public record Delivery(int recipients, boolean stored) {
    public static final Delivery NONE = new Delivery(0, false);

    /** Written to {@code recipients} connections, not stored for later. */
    public static Delivery to(int recipients) {
        return recipients == 0 ? NONE : new Delivery(recipients, false);
    }

    /** {@code true} when nobody got it and nothing was kept: the recipient is offline. */
    public boolean isLost() {
        return recipients == 0 && !stored;
    }
}
