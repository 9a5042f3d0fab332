package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.entry.LogEntryCodec;
import io.logwire.protocol.support.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/** SEARCH examples (PROTOCOL.md section 4), each checked on objects and on encoded bytes. */
class SearchPredicateTest {

    /** Section 4 literally: both sides lower-cased with Java's toLowerCase(Locale.ROOT), then contains. */
    static boolean definition(String term, LogEntry e) {
        String t = term.toLowerCase(Locale.ROOT);
        return e.username().toLowerCase(Locale.ROOT).contains(t) || e.ip().toLowerCase(Locale.ROOT).contains(t)
                || e.server().toLowerCase(Locale.ROOT).contains(t);
    }

    private static boolean[] bothWays(String term, LogEntry e) {
        SearchPredicate p = new SearchPredicate(term);
        ByteBuf buf = new TrackingAllocator().buffer().writeBytes(new byte[] {1, 2, 3});
        try {
            LogEntryCodec.encode(e, buf);
            return new boolean[] {p.test(e), p.test(buf, 3)};
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest(name = "''{0}'' in [{1} | {2} | {3}] -> {4}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "amy        | Amy Brown     | 2001:db8::1 | tutorial.example.com | true",
            "AMY        | amy           | ''          | ''                   | true",
            "aMy bRoWn  | Amy Brown     | ''          | ''                   | true",
            "EXAMPLE    | x             | y           | tutorial.example.com | true",
            "::1        | x             | ::1         | y                    | true",
            "bc         | ab            | cd          | ''                   | false",
            "zz         | Amy Brown     | 10.0.0.9    | web-01               | false",
            "``         | ''            | ''          | ''                   | true",
            "``         | Alice         | 10.0.0.9    | web                  | true",
            "\u212A     | Kate          | ''          | ''                   | true",
            "kelvin     | \u212Aelvin   | ''          | ''                   | true",
            "\u212Aelvin| KELVIN        | ''          | ''                   | true",
            "\u0130     | istanbul      | ''          | ''                   | false",
            "\u0130     | \u0130stanbul | ''          | ''                   | true",
            "i          | \u0130stanbul | ''          | ''                   | true",
            "\u00df     | STRASSE       | ''          | ''                   | false",
            "ss         | Stra\u00dfe   | ''          | ''                   | false",
            "STRASSE    | strasse       | ''          | ''                   | true",
            "\u00df     | STRA\u00dfE   | ''          | ''                   | true",
            "\u00e9T\u00c9 | \u00c9t\u00e9 | ''      | ''                   | true",
            "\uD83D\uDC36 | Zo\u00eb \uD83D\uDC36 | ''| ''                  | true"})
    void examples(String term, String username, String ip, String server, boolean matches) {
        LogEntry e = new LogEntry(username, ip, 1, 2, 3, 4, 5f, server);
        assertThat(definition(term, e)).as("the definition").isEqualTo(matches);
        assertThat(bothWays(term, e)).containsExactly(matches, matches);
    }

    @ParameterizedTest(name = "''{0}'' in ''{1}''")
    @CsvSource(delimiter = '|', value = {
            "\u03a3           | \u039f\u0394\u039f\u03a3",
            "\u03c2           | \u039f\u0394\u039f\u03a3",
            "\u03c3           | \u039f\u0394\u039f\u03a3",
            "\u03a3\u039f     | \u039f\u03a3\u039f\u03a6\u0399\u0391",
            "\u03c3           | \u03a3\u039f\u03a6\u0399\u0391",
            "\u2126           | \u03c9mega",
            "\u01c4           | \u01c5x"})
    void contextualLowerCasingIsTheSameOnBothPaths(String term, String username) {
        // Whatever Java's lower-casing decides for Greek final sigma and friends, bytes and objects agree.
        LogEntry e = new LogEntry(username, "", 0, 0, 0, 0, 0f, "");
        boolean expected = definition(term, e);
        assertThat(bothWays(term, e)).containsExactly(expected, expected);
    }
}
