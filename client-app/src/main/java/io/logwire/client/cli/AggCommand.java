package io.logwire.client.cli;

import io.logwire.client.LogwireClient;
import io.logwire.client.io.TableWriter;
import io.logwire.protocol.aggregate.AggregateResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code logwire agg "FILTER | count, sum(dataSent) by username top 10"}: aggregation on the server (AGGREGATE). */
@Command(name = "agg", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, showDefaultValues = true,
        description = {"Count, sum, average, minimum and maximum over the entries that match a filter, optionally by "
                + "group, computed on the server (AGGREGATE, protocol version 2).",
                "QUERY is FILTER | AGGREGATES [by FIELDS] [top N], e.g. 'port>=8000 | count, sum(dataSent) by "
                        + "username top 10'. Aggregates: count, sum(F), avg(F), min(F), max(F) of a numeric field "
                        + "(port, accessTime, dataSent, dataReceived, score). Rows come sorted by the first aggregate, "
                        + "largest first."})
final class AggCommand extends ConnectedCommand {
    @Parameters(index = "0", paramLabel = "QUERY", description = "The aggregate query; '| count' counts every entry.")
    String query;

    @Option(names = {"-f", "--format"}, defaultValue = "table", paramLabel = "table|csv|json",
            description = "table: aligned columns for people; csv: a header row then one row per group; json: the "
                    + "server's {\"columns\": [...], \"rows\": [[...]]} object.")
    String format;

    @Override
    public Integer call() throws Exception {
        String f = format.toLowerCase(Locale.ROOT);
        if (!f.equals("table") && !f.equals("csv") && !f.equals("json")) {
            throw new IllegalArgumentException("--format takes table, csv or json, not " + format);
        }
        AggregateResult result;
        try (LogwireClient client = connect()) {
            result = client.sync().aggregate(query);
        }
        print(result, f, main.out);
        main.out.flush();
        return ExitCodes.OK;
    }

    /** Writes {@code r} as a table, CSV or JSON. */
    static void print(AggregateResult r, String format, PrintWriter out) {
        switch (format) {
            case "json" -> out.println(r.toJson());
            case "csv" -> {
                out.println(String.join(",", r.columns().stream().map(AggCommand::csv).toList()));
                for (List<Object> row : r.rows()) {
                    out.println(String.join(",", row.stream().map(v -> v == null ? "" : csv(text(v))).toList()));
                }
            }
            default -> table(r, out);
        }
    }

    private static void table(AggregateResult r, PrintWriter out) {
        int n = r.columns().size();
        int[] widths = new int[n];
        boolean[] numeric = new boolean[n];
        List<String[]> cells = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            widths[i] = TableWriter.displayWidth(r.columns().get(i));
            numeric[i] = true;
        }
        for (List<Object> row : r.rows()) {
            String[] c = new String[n];
            for (int i = 0; i < n; i++) {
                Object v = row.get(i);
                c[i] = v == null ? "null" : text(v);
                if (v instanceof String) {
                    numeric[i] = false;
                }
                widths[i] = Math.max(widths[i], TableWriter.displayWidth(c[i]));
            }
            cells.add(c);
        }
        String[] header = r.columns().toArray(new String[0]);
        out.println(line(header, widths, new boolean[n]));
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < n; i++) {
            rule.append(i == 0 ? "" : "  ").append("-".repeat(widths[i]));
        }
        out.println(rule);
        for (String[] c : cells) {
            out.println(line(c, widths, numeric));
        }
        out.println("(" + r.rows().size() + (r.rows().size() == 1 ? " row)" : " rows)"));
    }

    private static String line(String[] cells, int[] widths, boolean[] right) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            String pad = " ".repeat(widths[i] - TableWriter.displayWidth(cells[i]));
            if (i > 0) {
                sb.append("  ");
            }
            if (right[i]) {
                sb.append(pad).append(cells[i]);
            } else {
                sb.append(cells[i]);
                if (i < cells.length - 1) {
                    sb.append(pad);
                }
            }
        }
        return sb.toString();
    }

    /** Integers as they are; doubles in plain decimal notation without trailing zeros. */
    static String text(Object v) {
        if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                return d.toString();
            }
            BigDecimal b = BigDecimal.valueOf(d).stripTrailingZeros();
            return b.scale() < 0 ? b.setScale(0).toPlainString() : b.toPlainString();
        }
        return String.valueOf(v);
    }

    private static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }
}
