package io.logwire.client.cli;

import io.logwire.client.ConnectionException;
import io.logwire.client.LogwireClient;
import io.logwire.client.TailFollower;
import io.logwire.client.io.TableWriter;
import io.logwire.client.LogwireException;
import io.logwire.client.RequestTimeoutException;
import io.logwire.client.RowStream;
import io.logwire.client.io.EntryFormat;
import io.logwire.client.io.EntryWriter;
import io.logwire.client.io.TableWriter;
import io.logwire.protocol.entry.LogEntry;
import io.logwire.protocol.filter.EntryPredicate;
import io.logwire.protocol.filter.Filter;
import io.logwire.protocol.filter.FilterSyntaxException;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * The interactive shell, line-oriented so that it works the same from a terminal or a pipe.
 * Results of a query or search become the current result set; {@code refine} pushes a
 * locally filtered subset (same filter language, {@link Filter#compile()}), {@code undo} pops
 * it. Commands are appended to a history file and can be re-run by number.
 */
final class Shell {
    static final String MENU = """
            Commands (a number alone asks for its argument on the next line):
              1  upload FILE...   upload CSV or JSON Lines files
              2  query FILTER     query the server; the rows become the current results
              3  search TERM      search the server; the rows become the current results
              4  refine FILTER    keep only the current results that match FILTER (locally)
              5  undo             go back to the results before the last refinement
              6  show [N]         print the first N current results
              7  history          list earlier commands; !N or rerun N runs number N again
              8  save FILE        write the current results to a .csv or .jsonl file
              9  help             this menu
             10  tail [-n N] FILTER  follow new matching entries (Ctrl-C, or N entries, ends it)
             11  agg QUERY        aggregate on the server: FILTER | count, sum(F) by FIELD top N
              0  quit""";

    private static final String[] BY_NUMBER = {"quit", "upload", "query", "search", "refine", "undo", "show",
            "history", "save", "help", "tail", "agg"};
    private static final int HISTORY_SHOWN = 50;

    /** One level of the result stack. */
    private record Results(String description, List<LogEntry> rows) {
    }

    private final ConnectedCommand command;
    private final Main main;
    private final PrintWriter out;
    private final int maxResults;
    private final Path historyFile;
    private final int page;
    private final Deque<Results> stack = new ArrayDeque<>();
    private final List<String> history = new ArrayList<>();
    private BufferedReader in;
    private LogwireClient client;

    Shell(ConnectedCommand command, int maxResults, Path historyFile, int page) {
        this.command = command;
        this.main = command.main;
        this.out = main.out;
        this.maxResults = maxResults;
        this.historyFile = historyFile;
        this.page = page;
    }

    int run() throws IOException {
        loadHistory();
        client = command.connect();
        try {
            out.println("logwire shell: connected to " + client.config().address() + " ("
                    + client.serverHello().serverName() + "); history in " + historyFile);
            out.println(MENU);
            in = new BufferedReader(new InputStreamReader(main.in, StandardCharsets.UTF_8));
            while (true) {
                String line = prompt("logwire> ");
                if (line == null) {
                    break;
                }
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (!execute(line, true)) {
                    break;
                }
            }
            out.println("bye");
            return ExitCodes.OK;
        } finally {
            out.flush();
            if (client != null) {
                client.close();
            }
        }
    }

    private String prompt(String text) throws IOException {
        if (main.interactive) {
            out.print(text);
        }
        out.flush();
        return in.readLine();
    }

    /** Runs one command line; false to quit. */
    private boolean execute(String line, boolean record) throws IOException {
        String word = line;
        String arg = "";
        int space = indexOfWhitespace(line);
        if (space >= 0) {
            word = line.substring(0, space);
            arg = line.substring(space).strip();
        }
        if (word.startsWith("!") && word.length() > 1) {
            arg = word.substring(1);
            word = "rerun";
        }
        word = word.toLowerCase(Locale.ROOT);
        if (word.matches("[0-9]|1[01]")) {
            word = BY_NUMBER[Integer.parseInt(word)];
            if (arg.isEmpty() && needsArgument(word)) {
                String more = prompt(word + " " + argumentName(word) + ": ");
                if (more == null) {
                    return false;
                }
                arg = more.strip();
            }
        }
        String normalized = arg.isEmpty() ? word : word + " " + arg;
        try {
            switch (word) {
                case "quit", "exit", "q" -> {
                    return false;
                }
                case "help", "?", "menu" -> out.println(MENU);
                case "upload" -> {
                    remember(normalized, record);
                    upload(arg);
                }
                case "query" -> {
                    remember(normalized, record);
                    fetch("query " + arg, true, arg);
                }
                case "search" -> {
                    remember(normalized, record);
                    fetch("search " + arg, false, arg);
                }
                case "refine" -> {
                    remember(normalized, record);
                    refine(arg);
                }
                case "undo" -> {
                    remember(normalized, record);
                    undo();
                }
                case "show" -> show(arg);
                case "history", "h" -> showHistory();
                case "rerun", "r" -> {
                    return rerun(arg);
                }
                case "save" -> save(arg);
                case "tail" -> tail(arg);
                case "agg" -> AggCommand.print(client().sync().aggregate(arg), "table", out);
                default -> out.println("unknown command '" + word + "'; type help for the menu");
            }
        } catch (ConnectionException | RequestTimeoutException e) {
            out.println("error: " + e.getMessage());
            out.println("(will reconnect on the next command that needs the server)");
            closeClient();
        } catch (LogwireException | IllegalArgumentException | UnsupportedOperationException e) {
            out.println("error: " + e.getMessage());
        }
        return true;
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static boolean needsArgument(String word) {
        return switch (word) {
            case "upload", "query", "search", "refine", "save", "rerun", "agg" -> true;
            default -> false;
        };
    }

    private static String argumentName(String word) {
        return switch (word) {
            case "upload" -> "FILE";
            case "query", "refine" -> "FILTER";
            case "search" -> "TERM";
            case "tail" -> "FILTER";
            case "agg" -> "QUERY";
            case "save" -> "FILE";
            default -> "N";
        };
    }

    private LogwireClient client() {
        if (client == null || !client.isOpen()) {
            closeClient();
            out.println("(connecting to " + command.clientConfig().address() + ")");
            client = command.connect();
        }
        return client;
    }

    private void closeClient() {
        if (client != null) {
            client.close();
            client = null;
        }
    }

    // ---------------------------------------------------------------- commands

    /** Follows new entries matching the filter with a {@link TailFollower} until Ctrl-C or {@code -n N} entries. */
    private void tail(String arg) throws IOException {
        long limit = 0;
        String filter = arg;
        if (arg.startsWith("-n")) {
            String[] parts = arg.substring(2).strip().split("\\s+", 2);
            try {
                limit = Long.parseLong(parts[0]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("tail -n takes a number of entries, not " + parts[0]);
            }
            if (limit < 1) {
                throw new IllegalArgumentException("tail -n takes a positive number");
            }
            filter = parts.length > 1 ? parts[1] : "";
        }
        long max = limit;
        TableWriter w = new TableWriter(out, 1, true);
        TailFollower follower = new TailFollower(command.clientConfig(), filter, LogwireClient.TAIL_FROM_NOW,
                Duration.ofMillis(100), Duration.ofSeconds(10), (cause, wait, next) -> {
                    out.println("(tail interrupted: " + cause.getMessage() + "; resuming from " + next + ")");
                    out.flush();
                });
        Object previous = Interrupts.onInterrupt(follower::close);
        long[] n = {0};
        out.println("(following; Ctrl-C stops" + (max > 0 ? " or after " + max + " entries)" : ")"));
        out.flush();
        try {
            follower.run(row -> {
                try {
                    w.write(row.entry());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                if (max > 0 && ++n[0] >= max) {
                    follower.close();
                }
            }, () -> { // once per burst of rows, when the next one is not here yet
                try {
                    w.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            w.finish();
        } finally {
            follower.close();
            Interrupts.restore(previous);
        }
    }

    private void upload(String arg) throws IOException {
        if (arg.isEmpty()) {
            out.println("usage: upload FILE...");
            return;
        }
        List<String> files = Arrays.asList(arg.split("\\s+"));
        for (String f : files) {
            if (!Files.isReadable(Path.of(f))) {
                out.println("error: " + f + ": " + (Files.exists(Path.of(f)) ? "not readable" : "no such file"));
                return;
            }
        }
        Uploader uploader = new Uploader(client(), 1000, false, null, false, out, main.in);
        try {
            out.println(uploader.run(files, Progress.none()).line());
        } catch (Uploader.Aborted a) {
            out.println(a.cause.getMessage());
            out.println("upload stopped; nothing of the batch holding that line was sent"
                    + (a.partial.entries() > 0 ? "; earlier batches were stored: " + a.partial.line() : ""));
        }
    }

    private void fetch(String description, boolean query, String arg) throws IOException {
        List<LogEntry> rows = new ArrayList<>();
        boolean truncated = false;
        try (RowStream s = query ? client().query(arg, maxResults + 1L) : client().search(arg, maxResults + 1L)) {
            while (s.hasNext()) {
                LogEntry e = s.next();
                if (rows.size() == maxResults) {
                    truncated = true;
                    break;
                }
                rows.add(e);
            }
        }
        stack.clear();
        stack.push(new Results(description, rows));
        if (truncated) {
            out.println("note: more than " + maxResults + " rows match; only the first " + maxResults
                    + " are kept (--max-results). Narrow the " + (query ? "filter" : "term") + " to see the others.");
        }
        report();
    }

    private void refine(String arg) throws IOException {
        if (stack.isEmpty()) {
            out.println("nothing to refine yet: run a query or search first");
            return;
        }
        EntryPredicate p;
        try {
            p = Filter.parse(arg).compile();
        } catch (FilterSyntaxException e) {
            out.println("error: invalid filter: " + e.getMessage());
            return;
        }
        List<LogEntry> kept = new ArrayList<>();
        for (LogEntry e : stack.peek().rows()) {
            if (p.test(e)) {
                kept.add(e);
            }
        }
        stack.push(new Results("refine " + arg, kept));
        report();
    }

    private void undo() throws IOException {
        if (stack.size() <= 1) {
            out.println("nothing to undo");
            return;
        }
        Results dropped = stack.pop();
        out.println("undid '" + dropped.description() + "'");
        report();
    }

    private void show(String arg) throws IOException {
        if (stack.isEmpty()) {
            out.println("no results yet: run a query or search first");
            return;
        }
        int n = page;
        if (!arg.isEmpty()) {
            try {
                n = Integer.parseInt(arg);
            } catch (NumberFormatException e) {
                out.println("usage: show [N]");
                return;
            }
        }
        printRows(stack.peek().rows(), n);
    }

    private void report() throws IOException {
        Results r = stack.peek();
        List<String> steps = new ArrayList<>();
        stack.descendingIterator().forEachRemaining(x -> steps.add(x.description()));
        out.println(r.rows().size() + (r.rows().size() == 1 ? " row" : " rows") + " (" + String.join(" | ", steps) + ")");
        if (page > 0 && !r.rows().isEmpty()) {
            printRows(r.rows(), page);
        }
    }

    private void printRows(List<LogEntry> rows, int n) throws IOException {
        int shown = Math.min(n, rows.size());
        TableWriter t = new TableWriter(out, Math.max(1, shown), false);
        for (int i = 0; i < shown; i++) {
            t.write(rows.get(i));
        }
        t.finish();
        if (shown < rows.size()) {
            out.println("... " + (rows.size() - shown) + " more (show N prints more, save FILE writes them all)");
        }
    }

    private void save(String arg) throws IOException {
        if (stack.isEmpty()) {
            out.println("no results to save: run a query or search first");
            return;
        }
        if (arg.isEmpty()) {
            out.println("usage: save FILE (.csv or .jsonl)");
            return;
        }
        EntryFormat f = EntryFormat.forFileName(arg);
        if (f == null) {
            out.println("error: cannot tell the format of " + arg + "; name it .csv or .jsonl");
            return;
        }
        List<LogEntry> rows = stack.peek().rows();
        try (Writer w = new BufferedWriter(Files.newBufferedWriter(Path.of(arg), StandardCharsets.UTF_8));
             EntryWriter ew = f.writer(w)) {
            for (LogEntry e : rows) {
                ew.write(e);
            }
        }
        out.println("wrote " + rows.size() + " rows to " + arg);
    }

    // ---------------------------------------------------------------- history

    private void loadHistory() throws IOException {
        if (Files.isReadable(historyFile)) {
            for (String l : Files.readAllLines(historyFile, StandardCharsets.UTF_8)) {
                if (!l.isBlank()) {
                    history.add(l);
                }
            }
        }
    }

    private void remember(String line, boolean record) {
        if (!record) {
            return;
        }
        history.add(line);
        try {
            Path dir = historyFile.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            if (!Files.exists(historyFile) && historyFile.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(historyFile, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(historyFile, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            out.println("warning: cannot write the history file " + historyFile + ": " + e.getMessage());
        }
    }

    private void showHistory() {
        if (history.isEmpty()) {
            out.println("no history yet");
            return;
        }
        int from = Math.max(0, history.size() - HISTORY_SHOWN);
        for (int i = from; i < history.size(); i++) {
            out.printf("%5d  %s%n", i + 1, history.get(i));
        }
    }

    private boolean rerun(String arg) throws IOException {
        int n;
        try {
            n = Integer.parseInt(arg.strip());
        } catch (NumberFormatException e) {
            out.println("usage: rerun N (see history)");
            return true;
        }
        if (n < 1 || n > history.size()) {
            out.println("no history entry " + n + " (there are " + history.size() + ")");
            return true;
        }
        String line = history.get(n - 1);
        out.println("> " + line);
        return execute(line, true);
    }
}
