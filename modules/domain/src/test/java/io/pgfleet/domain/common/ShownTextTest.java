package io.pgfleet.domain.common;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ShownTextTest {

    @Test
    void escapesControlsBidiFormattingAndLineSeparatorsButKeepsLineFeedsTabsAndText() {
        assertEquals("a\\u001b[2Jb\\u202ec\\u2028d\\u2029e\nf\tg d\u00e9j\u00e0 \u05e9\u05dc\u05d5\u05dd",
                ShownText.escaped("a\u001b[2Jb\u202ec\u2028d\u2029e\nf\tg d\u00e9j\u00e0 \u05e9\u05dc\u05d5\u05dd"));
        assertEquals("plain\nlines\tand tabs", ShownText.escaped("plain\nlines\tand tabs"));
    }

    @Test
    void namesTheFirstCharacterActedOnByCodePointNameAndPosition() {
        assertEquals(Optional.of("U+2028 LINE SEPARATOR at character 4"), ShownText.firstActedOn("one\u2028two"));
        assertEquals(Optional.of("U+2029 PARAGRAPH SEPARATOR at character 1"), ShownText.firstActedOn("\u2029"));
        assertEquals(Optional.of("U+202E RIGHT-TO-LEFT OVERRIDE at character 4"), ShownText.firstActedOn("gpj\u202eexe"));
        assertEquals(Optional.of("U+001B ESCAPE at character 2"), ShownText.firstActedOn("x\u001b[2J"));
        assertEquals(Optional.empty(), ShownText.firstActedOn("line one\nline two\tand a tab"));
    }

    @Test
    void aQuotedValueIsWholeUpToSixtyFourCharactersAndBeyondItsBeginningAndItsLength() {
        assertEquals("m_" + "a".repeat(62), ShownText.quoted("m_" + "a".repeat(62)));
        assertEquals("m_" + "a".repeat(62) + "\u2026 (5002 characters)", ShownText.quoted("m_" + "a".repeat(5000)));
        assertEquals("null", ShownText.quoted(null));
    }

    @Test
    void aCutNeverSplitsASurrogatePair() {
        String emoji = "\ud83d\ude00";
        String s = "a".repeat(63) + emoji + "tail";
        assertEquals("a".repeat(63) + "\u2026 (69 characters)", ShownText.quoted(s));
    }
}
