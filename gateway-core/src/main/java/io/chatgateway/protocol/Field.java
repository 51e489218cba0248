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
    BODY("body");

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
            default: return null;
        }
    }
}
