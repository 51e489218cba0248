package io.chatgateway.protocol;

import io.chatgateway.history.Position;

/**
 * One frame received from a client, already parsed: either a valid frame with a known {@link #type()}, or an
 * invalid one that carries the {@link #error()} to answer it with.
 *
 * <p>Only the fields the gateway reads are kept (see {@link Field}); {@code body} and {@code id} stay raw JSON so
 * that they are copied into replies byte for byte. Validation of which fields a given type needs is left to the
 * handler: {@link #string(Field)} returns {@code null} for a field that is missing or not a string, and
 * {@link #problem(Field)} says which of the two it was.
 */
public final class ClientFrame {
    private final FrameType type;
    private final RawJson id;
    private final String token;
    private final String to;
    private final String room;
    private final RawJson body;
    private final Position since;
    private final long limit;
    private final boolean ephemeral;
    private final int wrongTypes;
    private final ErrorCode error;
    private final String errorMessage;

    private ClientFrame(FrameType type, RawJson id, String token, String to, String room, RawJson body,
                        Position since, long limit, boolean ephemeral, int wrongTypes, ErrorCode error,
                        String errorMessage) {
        this.type = type;
        this.id = id;
        this.token = token;
        this.to = to;
        this.room = room;
        this.body = body;
        this.since = since;
        this.limit = limit;
        this.ephemeral = ephemeral;
        this.wrongTypes = wrongTypes;
        this.error = error;
        this.errorMessage = errorMessage;
    }

    static ClientFrame valid(FrameType type, RawJson id, String token, String to, String room, RawJson body,
                             Position since, long limit, boolean ephemeral, int wrongTypes) {
        return new ClientFrame(type, id, token, to, room, body, since, limit, ephemeral, wrongTypes, null, null);
    }

    /**
     * A frame that cannot be carried out; the gateway answers it with an {@code error} frame.
     *
     * @param id the frame's {@code id} when the frame was valid JSON and had one, else {@code null}
     */
    public static ClientFrame invalid(ErrorCode error, String message, RawJson id) {
        return new ClientFrame(null, id, null, null, null, null, null, -1, false, 0, error, message);
    }

    /** {@code true} when the frame has a known type; otherwise {@link #error()} says why not. */
    public boolean isValid() {
        return error == null;
    }

    /** The frame's type, or {@code null} for an invalid frame. */
    public FrameType type() {
        return type;
    }

    /** The client's {@code id}, exactly as sent, or {@code null}. */
    public RawJson id() {
        return id;
    }

    /** The {@code body}, exactly as sent, or {@code null} when absent. */
    public RawJson body() {
        return body;
    }

    /** {@code since}, or {@code null} when absent or malformed (see {@link #hasWrongType(Field)}). */
    public Position since() {
        return since;
    }

    /** {@code limit}, or {@code -1} when absent or malformed. */
    public long limit() {
        return limit;
    }

    /** {@code true} when the frame says {@code "ephemeral": true}. */
    public boolean ephemeral() {
        return ephemeral;
    }

    /** The first of these fields that was present with the wrong JSON type, or {@code null}. */
    public Field firstWrongType(Field... fields) {
        for (Field f : fields) {
            if (hasWrongType(f)) {
                return f;
            }
        }
        return null;
    }

    /** The value of a string field, or {@code null} when it is missing or not a string. */
    public String string(Field field) {
        switch (field) {
            case TOKEN: return token;
            case TO: return to;
            case ROOM: return room;
            default: throw new IllegalArgumentException("not a string field: " + field);
        }
    }

    /** {@code true} when the field was present but of the wrong JSON type. */
    public boolean hasWrongType(Field field) {
        return (wrongTypes & (1 << field.ordinal())) != 0;
    }

    /** A message for a field that {@link #string(Field)} or {@link #body()} could not supply. */
    public String problem(Field field) {
        if (!hasWrongType(field)) {
            return "missing field '" + field.wireName() + "'";
        }
        switch (field) {
            case SINCE:
                return "field 'since' must be {\"epoch\": string, \"offset\": integer >= 0}";
            case LIMIT:
                return "field 'limit' must be an integer >= 0";
            case EPHEMERAL:
                return "field 'ephemeral' must be true or false";
            default:
                return "field '" + field.wireName() + "' must be a string";
        }
    }

    /** Why the frame is invalid, or {@code null} for a valid frame. */
    public ErrorCode error() {
        return error;
    }

    /** A human-readable reason for {@link #error()}. */
    public String errorMessage() {
        return errorMessage;
    }

    @Override
    public String toString() {
        return isValid() ? "ClientFrame(" + type.wireName() + ", id=" + id + ")"
                : "ClientFrame(invalid " + error.wireName() + ": " + errorMessage + ")";
    }
}
