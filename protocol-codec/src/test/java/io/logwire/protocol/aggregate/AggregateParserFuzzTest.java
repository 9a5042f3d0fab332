package io.logwire.protocol.aggregate;

import com.fasterxml.jackson.databind.JsonNode;
import io.logwire.protocol.support.Vectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile AGGREGATE text: the aggregate queries of the shared vectors (valid and invalid) as
 * seeds, mutated by character and by token. Whatever the text, the parser either throws
 * {@link AggregateSyntaxException} with a position inside the text (or -1), or returns a query
 * whose canonical text parses back to the same query. Nothing else may escape (no NPE, no
 * index or number-format exception, no stack overflow).
 */
class AggregateParserFuzzTest {
    private static final JsonNode AGG = Vectors.v2().get("aggregates");
    private static final List<String> SEEDS = Stream.concat(Vectors.stream(AGG.get("cases")),
            Vectors.stream(AGG.get("invalid"))).map(v -> v.get("query").asText()).toList();
    /** Pieces of the language and near misses, for token-level mutation. */
    private static final List<String> TOKENS = List.of("|", ",", "(", ")", " by ", " top ", "count", "sum", "avg",
            "min", "max", "port", "score", "server", "username", "IP", "accessTime", "dataSent", "dataReceived",
            "=", "!=", "<", "<=", ">", ">=", "\"", "\\", "'", "0", "-1", "4294967296", "99999999999999999999",
            "1e309", "NaN", "1000001", " ", "\t", "\u0000", "\u00e9", "\ud83d\udc36", "\ud800", "((((((((", "))))");

    enum Kind { INSERT_CHAR, INSERT_TOKEN, DELETE, REPLACE_CHAR, DUPLICATE, TRUNCATE, SWAP_HALVES }

    record Mutation(Kind kind, int position, char c, String token) {
        String apply(String s) {
            int p = s.isEmpty() ? 0 : Math.floorMod(position, s.length() + 1);
            return switch (kind) {
                case INSERT_CHAR -> s.substring(0, p) + c + s.substring(p);
                case INSERT_TOKEN -> s.substring(0, p) + token + s.substring(p);
                case DELETE -> p < s.length() ? s.substring(0, p) + s.substring(p + 1) : s;
                case REPLACE_CHAR -> p < s.length() ? s.substring(0, p) + c + s.substring(p + 1) : s + c;
                case DUPLICATE -> s.substring(0, p) + s.substring(p / 2);
                case TRUNCATE -> s.substring(0, p);
                case SWAP_HALVES -> s.substring(p) + s.substring(0, p);
            };
        }
    }

    @Provide
    Arbitrary<String> mutatedQueries() {
        Arbitrary<Mutation> mutation = Combinators.combine(Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, 200), Arbitraries.chars().all(), Arbitraries.of(TOKENS))
                .as(Mutation::new);
        return Combinators.combine(Arbitraries.of(SEEDS), mutation.list().ofMaxSize(6)).as((seed, ms) -> {
            String s = seed;
            for (Mutation m : ms) {
                s = m.apply(s);
            }
            return s;
        });
    }

    @Provide
    Arbitrary<String> tokenSoup() {
        return Arbitraries.of(TOKENS).list().ofMaxSize(30).map(l -> String.join("", l));
    }

    @Property(tries = 3000)
    void mutatedVectorQueriesParseCanonicallyOrFailCleanly(@ForAll("mutatedQueries") String text) {
        check(text);
    }

    @Property(tries = 2000)
    void tokenSoupParsesCanonicallyOrFailsCleanly(@ForAll("tokenSoup") String text) {
        check(text);
    }

    @Property(tries = 1000)
    void arbitraryStringsParseCanonicallyOrFailCleanly(@ForAll String text) {
        check(text);
    }

    @Property(tries = 1)
    void deeplyNestedInputFailsCleanly() {
        check("(".repeat(100_000) + "port=1" + ")".repeat(100_000) + " | count");
        check("port=1" + ", port=1".repeat(50_000) + " | count");
        check("| count" + ", count".repeat(50_000));
    }

    private static void check(String text) {
        AggregateQuery q;
        try {
            q = AggregateQuery.parse(text);
        } catch (AggregateSyntaxException e) {
            assertThat(e.getMessage()).as("message for '%s'", text).isNotBlank();
            assertThat(e.position()).as("position for '%s'", text).isBetween(-1, text.length());
            return;
        }
        String canonical = q.toString();
        AggregateQuery back = AggregateQuery.parse(canonical);
        assertThat(back).as("'%s' -> '%s'", text, canonical).isEqualTo(q);
        assertThat(back.toString()).isEqualTo(canonical);
        assertThat(q.columns()).isNotEmpty();
    }
}
