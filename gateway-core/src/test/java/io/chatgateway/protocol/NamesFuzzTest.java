package io.chatgateway.protocol;

import io.chatgateway.testing.Fuzzing;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Names} against any string a client can put in a token's {@code sub} or a frame's {@code to} and
 * {@code room}. Properties: the checks never throw; every accepted name keeps the rules (length, no invisible,
 * control, separator, unassigned or blank characters, no unpaired surrogate, no white space at either end, no
 * {@code $} at the start of a user id); any accepted name with one forbidden character put anywhere is refused;
 * {@link Names#quote} never throws, stays short and never cuts a surrogate pair in two.
 */
@AddLifecycleHook(Fuzzing.class)
class NamesFuzzTest {

    @Property(tries = 500)
    void acceptsOnlyNamesThatKeepTheRules(@ForAll("names") String name) {
        String user = Names.userProblem(name);
        String room = Names.roomProblem(name);
        if (room == null) {
            assertTrue(name.length() >= 1 && name.length() <= Names.MAX_LENGTH);
            assertFalse(Character.isWhitespace(name.codePointAt(0)) || Character.isSpaceChar(name.codePointAt(0)));
            int last = name.codePointBefore(name.length());
            assertFalse(Character.isWhitespace(last) || Character.isSpaceChar(last));
            name.codePoints().forEach(cp -> assertTrue(allowed(cp), () -> String.format("U+%04X accepted", cp)));
            assertEquals(name.charAt(0) == '$', user != null, "user ids differ from room names only by '$'");
        } else {
            assertNotNull(user, "a bad room name is a bad user id too");
            assertTrue(room.length() <= 120, room);
        }
    }

    @Property(tries = 300)
    void refusesAGoodNameWithOneForbiddenCharacterAnywhere(@ForAll("goodNames") String name,
                                                          @ForAll("forbidden") String bad, @ForAll int where) {
        int at = Math.floorMod(where, name.length() + 1);
        // Never between the halves of a surrogate pair: that would make two unpaired surrogates, also refused.
        String broken = name.substring(0, at) + bad + name.substring(at);
        assertNotNull(Names.roomProblem(broken), () -> "accepted " + escape(broken));
        assertNotNull(Names.userProblem(broken));
    }

    @Property(tries = 300)
    void quotesAnyStringShortlyAndWhole(@ForAll("names") String s) {
        String q = Names.quote(s);
        assertTrue(q.codePointCount(0, q.length()) <= Names.QUOTE_CODE_POINTS + 30, q);
        if (!hasLoneSurrogate(s)) {
            assertFalse(hasLoneSurrogate(q), () -> "quote cut a surrogate pair: " + escape(q));
        }
    }

    private static boolean allowed(int cp) {
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SURROGATE:
            case Character.UNASSIGNED:
                return false;
            default:
                return cp != 0x115F && cp != 0x1160 && cp != 0x3164 && cp != 0xFFA0 && cp != 0x2800 && cp != 0x180E;
        }
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1)))) {
                return true;
            }
            if (Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
                return true;
            }
            if (Character.isHighSurrogate(c)) {
                i++;
            }
        }
        return false;
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.chars().forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return b.toString();
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(140),
                Arbitraries.strings().alpha().numeric().withChars("$ _-:.\u00e9\u4e2d").ofMaxLength(140),
                Combinators.combine(goodNames(), forbidden()).as((n, b) -> n + b),
                Combinators.combine(forbidden(), goodNames()).as((b, n) -> b + n),
                Arbitraries.of("", " ", "$server", "a\u200bb", "\u202eecila", "\ud83d\ude00", "\ud83d", "a\ud83d",
                        "x".repeat(128), "x".repeat(129), "\u3000a", "a\u00a0", "\ud800\udc00".repeat(64),
                        "\ud800\udc00".repeat(65)));
    }

    @Provide
    Arbitrary<String> goodNames() {
        return Arbitraries.strings().alpha().numeric().withChars("_-:.\u00e9\u4e2d").withChars("\ud83d\ude00")
                .ofMinLength(1).ofMaxLength(60).filter(n -> Names.roomProblem(n) == null && n.charAt(0) != '$');
    }

    @Provide
    Arbitrary<String> forbidden() {
        return Arbitraries.of("\u0000", "\u001f", "\u007f", "\u0085", "\u200b", "\u200c", "\u200d", "\u2060",
                "\ufeff", "\u00ad", "\u202a", "\u202e", "\u2066", "\u2069", "\u2028", "\u2029", "\ud800", "\udfff",
                "\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e", "\u0378", "\udb80",
                "\udb40\udc01", "\udb40\udc7f");
    }
}
