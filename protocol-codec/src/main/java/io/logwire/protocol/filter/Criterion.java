package io.logwire.protocol.filter;

import java.util.Objects;

/** One {@code field op value} of a filter (PROTOCOL.md section 5). */
public sealed interface Criterion {
    Field field();

    Operator op();

    /** A string field compared with {@code =} or {@code !=}, exactly and case-sensitively. */
    record StringCriterion(Field field, Operator op, String value) implements Criterion {
        public StringCriterion {
            Objects.requireNonNull(value, "value");
            if (field.isNumeric() || !op.appliesToStrings()) {
                throw new IllegalArgumentException(field.canonicalName() + op.symbol() + " is not a string criterion");
            }
        }

        @Override
        public String toString() {
            return field.canonicalName() + op.symbol() + FilterPrinter.stringValue(value);
        }
    }

    /** A numeric field compared in double precision with a finite value. */
    record NumericCriterion(Field field, Operator op, double value) implements Criterion {
        public NumericCriterion {
            if (!field.isNumeric() || !Double.isFinite(value)) {
                throw new IllegalArgumentException(field.canonicalName() + op.symbol() + value
                        + " is not a numeric criterion");
            }
        }

        @Override
        public String toString() {
            return field.canonicalName() + op.symbol() + FilterPrinter.number(value);
        }
    }
}
