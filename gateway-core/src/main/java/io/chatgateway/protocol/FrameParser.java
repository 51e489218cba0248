package io.chatgateway.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import io.chatgateway.history.Position;

import java.io.IOException;

/**
 * Parses client frames with Jackson's streaming parser, in one pass and without building a tree.
 *
 * <p>Every size is bounded: nesting depth, string, number and field-name lengths and the document itself, so that
 * a hostile frame costs at most linear time in its (already bounded) length. {@link #parse(byte[])} never throws:
 * whatever the input, it returns a {@link ClientFrame}, valid or carrying the error to answer with.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class FrameParser {
    /** Default maximum nesting depth of a frame. */
    public static final int DEFAULT_MAX_DEPTH = 32;
    /** Longest accepted {@code id}, in bytes as sent (a longer id is a {@code bad_request}). */
    public static final int MAX_ID_BYTES = 256;

    private final JsonFactory factory;

    /**
     * @param maxFrameBytes the largest frame the transport lets through
     * @param maxDepth      the deepest nesting of objects and arrays accepted
     */
    public FrameParser(int maxFrameBytes, int maxDepth) {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("maxFrameBytes: " + maxFrameBytes + " (expected: > 0)");
        }
        if (maxDepth <= 0) {
            throw new IllegalArgumentException("maxDepth: " + maxDepth + " (expected: > 0)");
        }
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(maxDepth)
                .maxDocumentLength(maxFrameBytes)
                .maxStringLength(maxFrameBytes)
                .maxNameLength(Math.min(maxFrameBytes, 1024))
                .maxNumberLength(256)
                .build();
        this.factory = JsonFactory.builder()
                .streamReadConstraints(constraints)
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                .build();
    }

    /**
     * Parses one frame. The array must not be modified afterwards: the frame's raw fields point into it.
     */
    public ClientFrame parse(byte[] data) {
        RawJson id = null;
        String type = null;
        String token = null;
        String to = null;
        String room = null;
        RawJson body = null;
        Position since = null;
        long limit = -1;
        boolean ephemeral = false;
        int wrong = 0;
        if (!mayBeUtf8(data)) {
            return ClientFrame.invalid(ErrorCode.BAD_REQUEST, "frame must be JSON in UTF-8", null);
        }
        try (JsonParser p = factory.createParser(data)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return ClientFrame.invalid(ErrorCode.BAD_REQUEST, "frame must be a JSON object", null);
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                Field field = Field.of(p.currentName());
                JsonToken value = p.nextToken();
                if (field == null) {
                    p.skipChildren();
                    continue;
                }
                switch (field) {
                    case TYPE:
                        if (value == JsonToken.VALUE_STRING) {
                            type = p.getText();
                            wrong &= ~bit(Field.TYPE);
                        } else {
                            type = null;
                            wrong |= bit(Field.TYPE);
                            p.skipChildren();
                        }
                        break;
                    case ID:
                        if (value == JsonToken.VALUE_STRING || value.isNumeric()) {
                            id = rawValue(p, data);
                            wrong &= ~bit(Field.ID);
                        } else {
                            id = null;
                            wrong |= bit(Field.ID);
                            p.skipChildren();
                        }
                        break;
                    case BODY:
                        body = rawValue(p, data);
                        break;
                    case SINCE:
                        // Optional fields sent as null count as absent, as client libraries often send them.
                        since = value == JsonToken.START_OBJECT ? position(p) : null;
                        wrong = mark(wrong, field, since != null || skipNull(p, value));
                        break;
                    case LIMIT:
                        limit = value == JsonToken.VALUE_NUMBER_INT
                                && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER ? p.getLongValue() : -1;
                        wrong = mark(wrong, field, limit >= 0 || skipNull(p, value));
                        break;
                    case EPHEMERAL:
                        ephemeral = value == JsonToken.VALUE_TRUE;
                        wrong = mark(wrong, field, value.isBoolean() || skipNull(p, value));
                        break;
                    default:
                        String s = null;
                        if (value == JsonToken.VALUE_STRING) {
                            s = p.getText();
                            wrong &= ~bit(field);
                        } else {
                            wrong |= bit(field);
                            p.skipChildren();
                        }
                        if (field == Field.TOKEN) {
                            token = s;
                        } else if (field == Field.TO) {
                            to = s;
                        } else {
                            room = s;
                        }
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                return ClientFrame.invalid(ErrorCode.BAD_REQUEST, "trailing data after the JSON object", null);
            }
        } catch (StreamConstraintsException e) {
            return ClientFrame.invalid(ErrorCode.BAD_REQUEST, "frame exceeds a limit: " + e.getOriginalMessage(), null);
        } catch (JsonProcessingException e) {
            return ClientFrame.invalid(ErrorCode.BAD_REQUEST, "malformed JSON: " + shorten(e.getOriginalMessage()), null);
        } catch (IOException e) {
            // Cannot happen for an in-memory array, but the parser's API declares it.
            return ClientFrame.invalid(ErrorCode.BAD_REQUEST, "malformed JSON", null);
        }

        // The frame is valid JSON from here on, so every error carries the id back.
        if ((wrong & bit(Field.ID)) != 0) {
            return ClientFrame.invalid(ErrorCode.BAD_REQUEST, "field 'id' must be a string or a number", null);
        }
        if (id != null && id.length() > MAX_ID_BYTES) {
            return ClientFrame.invalid(ErrorCode.BAD_REQUEST,
                    "field 'id' is longer than " + MAX_ID_BYTES + " bytes", null);
        }
        if (type == null) {
            return ClientFrame.invalid(ErrorCode.BAD_REQUEST,
                    (wrong & bit(Field.TYPE)) != 0 ? "field 'type' must be a string" : "missing field 'type'", id);
        }
        FrameType frameType = FrameType.of(type);
        if (frameType == null) {
            return ClientFrame.invalid(ErrorCode.UNKNOWN_TYPE, "unknown frame type '" + shorten(type) + "'", id);
        }
        return ClientFrame.valid(frameType, id, token, to, room, body, since, limit, ephemeral, wrong);
    }

    /**
     * Jackson reads a byte array in whichever Unicode encoding its first bytes suggest: UTF-16 or UTF-32 when they
     * hold a zero byte or a byte order mark of those. Such a parser has no byte offsets, which the raw fields
     * ({@code id}, {@code body}) are cut by. A JSON text in UTF-8 never has a zero byte (control characters are
     * escaped in strings and not allowed outside them) and never a byte FE or FF, so refusing those first turns away
     * exactly the input that is not the protocol's encoding. (A UTF-8 byte order mark is still UTF-8; Jackson skips
     * it, as RFC 8259 section 8.1 allows.)
     */
    private static boolean mayBeUtf8(byte[] data) {
        int head = Math.min(data.length, 4);
        for (int i = 0; i < head; i++) {
            if (data[i] == 0) {
                return false;
            }
        }
        return head == 0 || data[0] != (byte) 0xFE && data[0] != (byte) 0xFF;
    }

    /**
     * Reads {@code {"epoch": string, "offset": integer >= 0}} (other members ignored), positioned on its start;
     * returns {@code null} when it is not that shape, with the parser past the object either way.
     */
    private static Position position(JsonParser p) throws IOException {
        String epoch = null;
        long offset = -1;
        boolean bad = false;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("epoch") && v == JsonToken.VALUE_STRING) {
                epoch = p.getText();
            } else if (name.equals("offset") && v == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER && p.getLongValue() >= 0) {
                offset = p.getLongValue();
            } else {
                if (name.equals("epoch") || name.equals("offset")) {
                    bad = true;
                }
                p.skipChildren();
            }
        }
        if (bad || epoch == null || offset < 0 || epoch.isEmpty() || epoch.length() > Position.MAX_EPOCH_LENGTH) {
            return null;
        }
        return new Position(epoch, offset);
    }

    private static RawJson rawValue(JsonParser p, byte[] data) throws IOException {
        int start = (int) p.currentTokenLocation().getByteOffset();
        if (p.currentToken().isStructStart()) {
            p.skipChildren();
        } else {
            // Strings are parsed lazily; finish the token so that the location is past its closing quote.
            p.finishToken();
        }
        int end = (int) p.currentLocation().getByteOffset();
        return RawJson.slice(data, start, end - start);
    }

    /** Skips a value of the wrong type; {@code true} when it was JSON null (an absent optional field). */
    private static boolean skipNull(JsonParser p, JsonToken value) throws IOException {
        if (value.isStructStart() && p.currentToken() == value) {
            p.skipChildren();
        }
        return value == JsonToken.VALUE_NULL;
    }

    private static int mark(int wrong, Field f, boolean ok) {
        return ok ? wrong & ~bit(f) : wrong | bit(f);
    }

    private static int bit(Field f) {
        return 1 << f.ordinal();
    }

    private static String shorten(String s) {
        if (s == null) {
            return "";
        }
        if (s.length() <= 120) {
            return s;
        }
        // Not between the halves of a surrogate pair.
        int cut = Character.isHighSurrogate(s.charAt(119)) && Character.isLowSurrogate(s.charAt(120)) ? 119 : 120;
        return s.substring(0, cut) + "...";
    }
}
