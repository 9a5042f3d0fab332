package io.logwire.protocol.filter;

import io.logwire.protocol.entry.LogEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The filter language of PROTOCOL.md section 5: errors, quoting and canonical text. */
class FilterParserTest {

    private static FilterSyntaxException refusal(String filter) {
        FilterSyntaxException e = catchThrowableOfType(FilterSyntaxException.class, () -> Filter.parse(filter));
        assertThat(e).as("'%s' is refused", filter).isNotNull();
        return e;
    }

    // ------------------------------------------------------------------ error messages

    @Test
    void anUnknownFieldIsReportedInTheContractWording() {
        FilterSyntaxException e = refusal("colour=red");
        assertThat(e.getMessage()).contains("Field not found: colour").doesNotContain("colour=");
        assertThat(e.position()).isZero();
    }

    @Test
    void anUnknownFieldIsNamedAsWrittenAndWhereItIs() {
        FilterSyntaxException e = refusal("port=1,  Colour = red");
        assertThat(e.getMessage()).contains("Field not found: Colour");
        assertThat(e.position()).isEqualTo(9);
    }

    @Test
    void aDoubledEqualsSignIsAnUnknownOperator() {
        FilterSyntaxException e = refusal("score==4");
        assertThat(e.getMessage()).contains("unknown operator '=='").contains("at position 5");
        assertThat(e.position()).isEqualTo(5);
    }

    /** Each refusal names its problem and the position (zero-based char offset) where it is. */
    @ParameterizedTest(name = "''{0}'' -> position {1}: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "username==bob         | 8  | unknown operator '=='",
            "score=>4              | 5  | unknown operator '=>'",
            "score<>4              | 5  | unknown operator '<>'",
            "score!4               | 5  | unknown operator '!'",
            "username>Amy          | 8  | does not apply to the string field username",
            "server<=x             | 6  | does not apply to the string field server",
            "score 4               | 6  | missing operator",
            "score>                | 6  | missing value",
            "score> ,port=1        | 7  | missing value",
            "score>abc             | 6  | 'abc' is not a number",
            "port=1, score>abc     | 14 | 'abc' is not a number",
            "score>NaN             | 6  | 'NaN' is not a number",
            "port>0x10             | 5  | '0x10' is not a number",
            "port=1e999            | 5  | too large",
            "score>4,,port=1       | 8  | empty criterion",
            "score>4,              | 8  | empty criterion",
            "`,`                   | 0  | empty criterion",
            "=5                    | 0  | missing field name",
            "`username=\"unterminated` | 9 | unterminated quoted value",
            "`username=\"a\\qb\"`  | 11 | invalid escape '\\q'",
            "`username=\"x\"y`     | 12 | unexpected 'y' after a quoted value",
            "`username=\"x\\`      | 9  | unterminated quoted value",
            "1port=1               | 0  | expected a field name"})
    void refusalsNameTheProblemAndItsPosition(String filter, int position, String problem) {
        FilterSyntaxException e = refusal(filter);
        assertThat(e.getMessage()).contains(problem).contains("at position " + position);
        assertThat(e.position()).isEqualTo(position);
    }

    @Test
    void positionsOfASubrangeAreOffsetsIntoTheWholeText() {
        String text = "QUERY score>abc;";
        assertThatThrownBy(() -> Filter.parse(text, 6, text.length() - 1))
                .isInstanceOfSatisfying(FilterSyntaxException.class, e -> assertThat(e.position()).isEqualTo(12));
        assertThat(Filter.parse("QUERY port=1;", 6, 12)).isEqualTo(Filter.parse("port=1"));
    }

    @Test
    void onlySpaceAndTabAreWhitespace() {
        assertThat(Filter.parse(" \t ").matchesAll()).isTrue();
        assertThat(refusal("\nport=1").getMessage()).contains("expected a field name");
        // a bare value keeps inner and non-SP/HTAB whitespace
        assertThat(Filter.parse("username = a b\u00A0\t ").criteria())
                .containsExactly(new Criterion.StringCriterion(Field.USERNAME, Operator.EQ, "a b\u00A0"));
    }

    // ------------------------------------------------------------------ quoting

    @Test
    void quotedValuesUnescapeQuoteAndBackslash() {
        assertThat(Filter.parse("username=\"a\\\"b\\\\c\"").criteria())
                .containsExactly(new Criterion.StringCriterion(Field.USERNAME, Operator.EQ, "a\"b\\c"));
        assertThat(Filter.parse("server != \"x, y\" , IP=\"\"").criteria()).containsExactly(
                new Criterion.StringCriterion(Field.SERVER, Operator.NE, "x, y"),
                new Criterion.StringCriterion(Field.IP, Operator.EQ, ""));
        assertThat(Filter.parse("username=\" =x\"").criteria())
                .containsExactly(new Criterion.StringCriterion(Field.USERNAME, Operator.EQ, " =x"));
    }

    @Test
    void aBareValueMayHoldQuotesAndBackslashesAfterItsFirstChar() {
        assertThat(Filter.parse("username=a\"b\\c").criteria())
                .containsExactly(new Criterion.StringCriterion(Field.USERNAME, Operator.EQ, "a\"b\\c"));
    }

    @Test
    void quotedValuesMatchExactly() {
        EntryPredicate p = Filter.parse("username=\"a\\\"b\\\\c\", server=\"x,y\"").compile();
        assertThat(p.test(new LogEntry("a\"b\\c", "", 0, 0, 0, 0, 0, "x,y"))).isTrue();
        assertThat(p.test(new LogEntry("a\"b\\\\c", "", 0, 0, 0, 0, 0, "x,y"))).isFalse();
        assertThat(p.test(new LogEntry("a\"b\\c", "", 0, 0, 0, 0, 0, "x"))).isFalse();
    }

    @Test
    void aQuotedNumberIsANumber() {
        assertThat(Filter.parse("score=\"4.5\"").criteria())
                .containsExactly(new Criterion.NumericCriterion(Field.SCORE, Operator.EQ, 4.5));
        assertThat(refusal("score=\" 4.5\"").getMessage()).contains("not a number");
    }

    @Test
    void fieldNamesAreCaseInsensitive() {
        assertThat(Filter.parse("ip=1, Ip=1, IP=1, DATASENT>2, accesstime<3").criteria()).containsExactly(
                new Criterion.StringCriterion(Field.IP, Operator.EQ, "1"),
                new Criterion.StringCriterion(Field.IP, Operator.EQ, "1"),
                new Criterion.StringCriterion(Field.IP, Operator.EQ, "1"),
                new Criterion.NumericCriterion(Field.DATA_SENT, Operator.GT, 2),
                new Criterion.NumericCriterion(Field.ACCESS_TIME, Operator.LT, 3));
    }

    @Test
    void numbersFollowTheGrammar() {
        assertThat(Filter.parse("port=.5, port=8080., port=+1, port=-2e3, port=1E+2").criteria())
                .extracting(c -> ((Criterion.NumericCriterion) c).value())
                .containsExactly(0.5, 8080.0, 1.0, -2000.0, 100.0);
        assertThat(refusal("port=\u0663").getMessage()).contains("not a number"); // ARABIC-INDIC DIGIT THREE
        assertThat(refusal("port=Infinity").getMessage()).contains("not a number");
        assertThat(refusal("port=1f").getMessage()).contains("not a number");
        assertThat(refusal("port=.").getMessage()).contains("not a number");
        assertThat(refusal("port=-e5").getMessage()).contains("not a number");
    }

    @Test
    void negativeZeroEqualsZeroWhenComparing() {
        EntryPredicate p = Filter.parse("score=-0").compile();
        assertThat(p.test(new LogEntry("", "", 0, 0, 0, 0, 0.0f, ""))).isTrue();
        assertThat(p.test(new LogEntry("", "", 0, 0, 0, 0, -0.0f, ""))).isTrue();
    }

    // ------------------------------------------------------------------ canonical text

    @ParameterizedTest(name = "''{0}'' prints as ''{1}''")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "``                                    | ``",
            "` \t `                                | ``",
            "`  USERNAME  =  bob  , SCORE>4.0`     | `username=bob, score>4`",
            "ip=::1                                | IP=::1",
            "dataReceived=4294967295               | dataReceived=4294967295",
            "`username=\"\"`                       | `username=\"\"`",
            "`server=\"a,b\"`                      | `server=\"a,b\"`",
            "`username=\" =x\"`                    | `username=\" =x\"`",
            "`username=\"=x\"`                     | `username=\"=x\"`",
            "`username=\"!x\"`                     | `username=\"!x\"`",
            "`username=\"\\\"q\\\"\"`              | `username=\"\\\"q\\\"\"`",
            "`username=\"a\\\"b\"`                 | `username=a\"b`",
            "`username=\"a\\\\b\"`                 | `username=a\\b`",
            "`username=\"x \"`                     | `username=\"x \"`",
            "`username=\"\tx\"`                    | `username=\"\tx\"`",
            "`username=\"Amy Brown\"`              | `username=Amy Brown`",
            "score=-0                              | score=-0",
            "score=-0.0                            | score=-0",
            "score=+0                              | score=0",
            "port=8080.0                           | port=8080",
            "port>.5                               | port>0.5",
            "score>3.4028234663852886e38           | score>3.4028234663852886E38",
            "accessTime<1e15                       | accessTime<1.0E15",
            "accessTime<999999999999999            | accessTime<999999999999999",
            "score>=1e-7                           | score>=1.0E-7",
            "`score=\"4.5\"`                       | score=4.5",
            "`port!=1,port<=2,port>=3`             | `port!=1, port<=2, port>=3`"})
    void canonicalText(String filter, String canonical) {
        Filter f = Filter.parse(filter);
        assertThat(f.toString()).isEqualTo(canonical);
        assertThat(Filter.parse(canonical)).isEqualTo(f);
    }

    @Test
    void criteriaRefuseMismatchedFieldsAndOperators() {
        assertThatThrownBy(() -> new Criterion.StringCriterion(Field.PORT, Operator.EQ, "1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Criterion.StringCriterion(Field.USERNAME, Operator.LT, "a"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Criterion.NumericCriterion(Field.SERVER, Operator.EQ, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Criterion.NumericCriterion(Field.SCORE, Operator.EQ, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Criterion.NumericCriterion(Field.SCORE, Operator.EQ, Double.NEGATIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theEmptyFilterMatchesEverything() {
        assertThat(Filter.parse("")).isEqualTo(Filter.MATCH_ALL);
        assertThat(Filter.MATCH_ALL.compile().test(new LogEntry("", "", 0, 0, 0, 0, 0, ""))).isTrue();
        assertThat(Filter.MATCH_ALL.toString()).isEmpty();
        assertThat(new Filter(List.of()).matchesAll()).isTrue();
    }
}
