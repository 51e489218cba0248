package io.chatgateway.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamesTest {

    @ParameterizedTest
    @ValueSource(strings = {"alice", "Zoë", "用户", "team:42", "a b", "emoji\uD83D\uDE00"})
    void acceptsOrdinaryNames(String name) {
        assertNull(Names.userProblem(name), name);
        assertNull(Names.roomProblem(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "ali\nce",          // control
        "\u202Eecila",      // right-to-left override
        "alice\u200B",      // zero-width space
        "al\u200Dice",      // zero-width joiner
        "\u2066alice",      // left-to-right isolate
        "ali\u00ADce",      // soft hyphen
        "alice\uFEFF",      // zero-width no-break space
        "al\u2028ice",      // line separator
        "ali\u3164ce",      // Hangul filler, drawn as nothing
        "\u2800",           // braille blank
        "ali\uD800ce",      // unpaired surrogate
        " alice",           // leading space
        "alice\u00A0",      // trailing no-break space
        ""})
    void rejectsInvisibleReorderingAndControlCharactersInUsersAndRooms(String name) {
        assertNotNull(Names.userProblem(name), () -> "user " + escaped(name));
        assertNotNull(Names.roomProblem(name), () -> "room " + escaped(name));
    }

    @Test
    void reservesTheDollarPrefixForUsersOnly() {
        assertTrue(Names.userProblem("$server").contains("reserved"));
        assertNull(Names.roomProblem("$prices"));
    }

    @Test
    void acceptsNamesUpToTheLimit() {
        assertNull(Names.userProblem("x".repeat(Names.MAX_LENGTH)));
    }

    @Test
    void rejectsNamesLongerThanTheLimit() {
        String longer = "x".repeat(Names.MAX_LENGTH + 1);
        assertTrue(Names.userProblem(longer).contains("longer than " + Names.MAX_LENGTH));
        assertTrue(Names.roomProblem(longer).contains("longer than " + Names.MAX_LENGTH));
    }

    @Test
    void saysWhichCharacterIsWrong() {
        assertEquals("room name contains an invisible formatting character (U+202E)",
                Names.roomProblem("a\u202Eb"));
    }

    @Test
    void quotesAtMostAShortPrefix() {
        assertEquals("'bob'", Names.quote("bob"));
        String huge = "y".repeat(60_000);
        String q = Names.quote(huge);
        assertTrue(q.length() < 80, q);
        assertTrue(q.endsWith("(60000 characters)"), q);
        // Never cuts a surrogate pair in half.
        String pairs = "\uD83D\uDE00".repeat(40);
        String cut = Names.quote(pairs);
        assertEquals(Names.QUOTE_CODE_POINTS, cut.substring(1, cut.indexOf("...")).codePointCount(0,
                cut.indexOf("...") - 1));
    }

    private static String escaped(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.append(c < 0x20 || c > 0x7e ? String.format("\\u%04X", c) : String.valueOf((char) c)));
        return b.toString();
    }
}
