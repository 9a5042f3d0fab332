package io.logwire.protocol.filter;

/** The six comparison operators of PROTOCOL.md section 5. */
public enum Operator {
    EQ("="), NE("!="), LT("<"), GT(">"), LE("<="), GE(">=");

    private final String symbol;

    Operator(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    /** The operator written {@code symbol}, or {@code null}. */
    public static Operator forSymbol(String symbol) {
        for (Operator op : values()) {
            if (op.symbol.equals(symbol)) {
                return op;
            }
        }
        return null;
    }

    /** Whether string fields accept this operator (only equality). */
    public boolean appliesToStrings() {
        return this == EQ || this == NE;
    }

    /** {@code a op b} in double precision (so {@code -0.0 = 0.0}, as the tutorial's floats). */
    public boolean test(double a, double b) {
        return switch (this) {
            case EQ -> a == b;
            case NE -> a != b;
            case LT -> a < b;
            case GT -> a > b;
            case LE -> a <= b;
            case GE -> a >= b;
        };
    }
}
