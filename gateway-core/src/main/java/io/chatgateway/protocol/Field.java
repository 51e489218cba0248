package io.chatgateway.protocol;

/**
 * The fields of a client frame that the gateway reads. Any other field is ignored.
 */
public enum Field {
    TYPE("type"),
    ID("id"),
    TOKEN("token"),
    TO("to"),
    ROOM("room"),
    BODY("body"),
    /** {@code {"epoch": string, "offset": integer}}: where the client's history or inbox left off (1.1). */
    SINCE("since"),
    /** Most messages in a {@code history} answer (1.1). */
    LIMIT("limit"),
    /** {@code true}: deliver, but do not keep in history (1.1). */
    EPHEMERAL("ephemeral");

    private final String wireName;

    Field(String wireName) {
        this.wireName = wireName;
    }

    /** The field's name in the JSON object. */
    public String wireName() {
        return wireName;
    }

    static Field of(String name) {
        switch (name) {
            case "type": return TYPE;
            case "id": return ID;
            case "token": return TOKEN;
            case "to": return TO;
            case "room": return ROOM;
            case "body": return BODY;
            case "since": return SINCE;
            case "limit": return LIMIT;
            case "ephemeral": return EPHEMERAL;
            default: return null;
        }
    }
}
