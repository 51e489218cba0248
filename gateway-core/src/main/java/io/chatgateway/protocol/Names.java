package io.chatgateway.protocol;

/**
 * The one set of rules for user ids and room names, applied wherever one comes in: token subjects, every frame
 * field ({@code send.to}, {@code join.room}, {@code presence.room}, {@code history.room}, ...), room grants and
 * admin paths.
 *
 * <p>A name is 1 to {@value #MAX_LENGTH} UTF-16 characters and contains nothing that renders invisibly or
 * rearranges the text around it: no control characters, no format characters (this covers the bidi overrides and
 * isolates U+202A-U+202E and U+2066-U+2069, the zero-width characters U+200B-U+200D, U+2060 and U+FEFF, and the
 * soft hyphen), no line or paragraph separators, no unpaired surrogates, no unassigned code points and none of the
 * blank "letters" (Hangul fillers, the braille blank) that draw as nothing. A name does not start or end with
 * white space. Together these keep one user from showing up on screen as another ({@code "alice\u200B"},
 * {@code "\u202Eecila"}). User ids also may not start with {@code $}, which is reserved for the gateway's own
 * senders such as {@code $server}.
 *
 * <p>Errors about a name never echo more than a short prefix of it ({@link #quote(String)}), so a client cannot
 * make the gateway send back a 60 KB field.
 */
public final class Names {
    /** Longest user id or room name, in UTF-16 characters. */
    public static final int MAX_LENGTH = 128;
    /** Code points shown by {@link #quote(String)} before it cuts. */
    static final int QUOTE_CODE_POINTS = 32;

    private Names() {
    }

    /** @return {@code null} when {@code user} is an acceptable user id, else why not */
    public static String userProblem(String user) {
        String p = problem("user id", user);
        if (p == null && user.charAt(0) == '$') {
            return "user ids starting with '$' are reserved";
        }
        return p;
    }

    /** @return {@code null} when {@code room} is an acceptable room name, else why not */
    public static String roomProblem(String room) {
        return problem("room name", room);
    }

    private static String problem(String what, String name) {
        if (name == null || name.isEmpty()) {
            return what + " is empty";
        }
        if (name.length() > MAX_LENGTH) {
            return what + " is longer than " + MAX_LENGTH + " characters";
        }
        if (Character.isWhitespace(name.codePointAt(0)) || Character.isSpaceChar(name.codePointAt(0))
                || Character.isWhitespace(name.codePointBefore(name.length()))
                || Character.isSpaceChar(name.codePointBefore(name.length()))) {
            return what + " starts or ends with white space";
        }
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            String bad = forbidden(cp);
            if (bad != null) {
                return what + " contains " + bad + String.format(" (U+%04X)", cp);
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    private static String forbidden(int cp) {
        switch (Character.getType(cp)) {
            case Character.CONTROL:
                return "a control character";
            case Character.FORMAT:
                return "an invisible formatting character";
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
                return "a line separator";
            case Character.SURROGATE:
                return "an unpaired surrogate";
            case Character.UNASSIGNED:
                return "an unassigned code point";
            default:
                break;
        }
        switch (cp) {
            case 0x115F: // HANGUL CHOSEONG FILLER
            case 0x1160: // HANGUL JUNGSEONG FILLER
            case 0x3164: // HANGUL FILLER
            case 0xFFA0: // HALFWIDTH HANGUL FILLER
            case 0x2800: // BRAILLE PATTERN BLANK
            case 0x180E: // MONGOLIAN VOWEL SEPARATOR
                return "a blank character";
            default:
                return null;
        }
    }

    /**
     * A short, quoted form of a client-supplied string for error messages: the whole string when it is short, else
     * its first {@value #QUOTE_CODE_POINTS} code points and its length.
     */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        int cps = s.codePointCount(0, s.length());
        if (cps <= QUOTE_CODE_POINTS) {
            return "'" + s + "'";
        }
        return "'" + s.substring(0, s.offsetByCodePoints(0, QUOTE_CODE_POINTS)) + "...' (" + s.length()
                + " characters)";
    }
}
