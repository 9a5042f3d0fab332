package io.logwire.protocol.aggregate;

import io.logwire.protocol.filter.Field;

import java.util.Objects;

/**
 * One aggregate of a query: {@code count}, or a function of a numeric field.
 *
 * @param function the function
 * @param field    the numeric field it reads; {@code null} exactly for {@code count}
 */
public record Aggregation(AggregateFunction function, Field field) {
    /** The {@code count} aggregate. */
    public static final Aggregation COUNT = new Aggregation(AggregateFunction.COUNT, null);

    public Aggregation {
        Objects.requireNonNull(function, "function");
        if (function == AggregateFunction.COUNT) {
            if (field != null) {
                throw new IllegalArgumentException("count takes no field");
            }
        } else {
            Objects.requireNonNull(field, "field");
            if (!field.isNumeric()) {
                throw new IllegalArgumentException(function.keyword() + " needs a numeric field, not "
                        + field.canonicalName());
            }
        }
    }

    /** {@code function(field)}. */
    public static Aggregation of(AggregateFunction function, Field field) {
        return new Aggregation(function, field);
    }

    /**
     * Whether the result is an exact integer ({@code count}, and sum/min/max of an integer
     * field) rather than a double ({@code avg} of anything, sum/min/max of {@code score}).
     */
    public boolean isInteger() {
        return function == AggregateFunction.COUNT
                || function != AggregateFunction.AVG && field != Field.SCORE;
    }

    /** The column name, also the canonical text: {@code count}, {@code sum(dataSent)}, ... */
    public String columnName() {
        return field == null ? function.keyword() : function.keyword() + "(" + field.canonicalName() + ")";
    }

    @Override
    public String toString() {
        return columnName();
    }
}
