package io.logwire.protocol.aggregate;

import io.logwire.protocol.filter.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The aggregate grammar of PROTOCOL.md 6.5: what it accepts, its canonical text, and its errors. */
class AggregateQueryParserTest {

    @Test
    void aFullQueryParsesToItsParts() {
        AggregateQuery q = AggregateQuery.parse("score>=0 | count, sum(dataSent) by server top 3");
        assertThat(q.filter().toString()).isEqualTo("score>=0");
        assertThat(q.aggregations()).containsExactly(Aggregation.COUNT,
                Aggregation.of(AggregateFunction.SUM, Field.DATA_SENT));
        assertThat(q.groupBy()).containsExactly(Field.SERVER);
        assertThat(q.top()).isEqualTo(3);
        assertThat(q.columns()).containsExactly("server", "count", "sum(dataSent)");
        assertThat(q).hasToString("score>=0 | count, sum(dataSent) by server top 3");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = ';', value = {
            "| count;                                   | count",
            "  |count;                                  | count",
            "| COUNT BY Server TOP 2;                   | count by server top 2",
            "| Sum ( DATASENT ) , AVG(score)\tby ip;     | sum(dataSent), avg(score) by IP",
            "server=\"a|b\" | count;                    server=\"a|b\" | count",
            "username = bob , port<=443|max(port) top 0010; username=bob, port<=443 | max(port) top 10",
            "| count top 1000000;                       | count top 1000000",
            "| count by port, score;                    | count by port, score",
    })
    void acceptedQueriesPrintCanonically(String text, String canonical) {
        assertThat(AggregateQuery.parse(text)).hasToString(canonical);
    }

    @Test
    void aPipeInsideAQuotedValueDoesNotEndTheFilterButOneInABareValueDoes() {
        assertThat(AggregateQueryParser.filterEnd("server=\"a|b\" | count")).isEqualTo(13);
        assertThat(AggregateQueryParser.filterEnd("server=\"a\\\"|b\" | count")).isEqualTo(15);
        assertThat(AggregateQueryParser.filterEnd("server=a\"b|c\" | count")).isEqualTo(10);
        assertThat(AggregateQueryParser.filterEnd("a=\"x\", b=\"|\"|count")).isEqualTo(12);
        assertThat(AggregateQueryParser.filterEnd("score>4")).isEqualTo(-1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
            "score>4;                   missing '|'",
            "colour=1 | count;          Field not found: colour",
            "score>>4 | count;          unknown operator '>>'",
            "|;                         missing aggregate",
            "| count,;                  missing aggregate",
            "| median(score);           unknown aggregate 'median'",
            "| sum(username);           numeric field",
            "| avg(colour);             Field not found: colour",
            "| sum dataSent;            needs a field in parentheses",
            "| sum(dataSent;            missing ')'",
            "| count(port);             count takes no field",
            "| count by;                'by' must be followed by field names",
            "| count by nosuch;         Field not found: nosuch",
            "| count by server,;        missing field name",
            "| count top 0;             outside 1..1000000",
            "| count top 1000001;       outside 1..1000000",
            "| count top 99999999999;   outside 1..1000000",
            "| count top x;             'top' needs a row count",
            "| count top;               'top' must be followed by a row count",
            "| count extra;             unexpected 'extra'",
            "| count top 3 by server;   unexpected 'by server'",
            "| countby server;          unknown aggregate 'countby'",
            "| avg(score)by server;     unexpected 'by server'",
    })
    void refusedQueriesSayWhy(String text, String problem) {
        assertThatThrownBy(() -> AggregateQuery.parse(text))
                .isInstanceOf(AggregateSyntaxException.class)
                .hasMessageContaining(problem);
    }

    @Test
    void errorsCarryThePositionInTheWholeQuery() {
        assertThatThrownBy(() -> AggregateQuery.parse("port=1 | sum(IP)"))
                .isInstanceOfSatisfying(AggregateSyntaxException.class, e -> {
                    assertThat(e.position()).isEqualTo(13);
                    assertThat(e.getMessage()).contains("at position 13");
                });
        assertThatThrownBy(() -> AggregateQuery.parse("port=1, colour=2 | count"))
                .isInstanceOfSatisfying(AggregateSyntaxException.class, e -> assertThat(e.position()).isEqualTo(8));
    }

    @Test
    void theAstRefusesWhatTheGrammarRefuses() {
        assertThatThrownBy(() -> new AggregateQuery(io.logwire.protocol.filter.Filter.MATCH_ALL, List.of(),
                List.of(), 0)).hasMessageContaining("at least one");
        assertThatThrownBy(() -> Aggregation.of(AggregateFunction.SUM, Field.USERNAME)).hasMessageContaining("numeric");
        assertThatThrownBy(() -> new Aggregation(AggregateFunction.COUNT, Field.PORT)).hasMessageContaining("no field");
    }
}
