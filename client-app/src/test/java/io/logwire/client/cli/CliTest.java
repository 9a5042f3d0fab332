package io.logwire.client.cli;

import io.logwire.client.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI end to end, through {@link Main#run}, against a real server over TLS. */
class CliTest {
    @TempDir
    static Path dir;
    static TestServer server;

    record Result(int code, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
        }
    }

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(dir.resolve("server"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Result raw(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err, false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs against the test server (connection options first, as a user would). */
    static Result runWithInput(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", String.valueOf(server.port()),
                "--ca", server.certificate().toString()));
        all.addAll(List.of(args));
        return raw(stdin, all.toArray(String[]::new));
    }

    static Result run(String... args) {
        return runWithInput("", args);
    }

    static Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static final String HEADER = "username,IP,port,accessTime,dataSent,dataReceived,score,server\n";

    @Test
    void uploadCsvWithUnicodeThenQueryInAllThreeFormats() throws IOException {
        Path csv = write("unicode.csv", HEADER
                + "cli-u-José,10.0.0.1,443,1700000000,100,2000,0.5,web-01\n"
                + "cli-u-明,2001:db8::1,8080,1700000001,0,4294967295,99.25,\"edge, tokyo\"\n"
                + "cli-u-Zoë,10.0.0.3,22,1700000002,7,8,-1.5,\"the \"\"db\"\"\"\n");
        Result up = run("upload", csv.toString());
        assertThat(up.code()).as(up.err()).isEqualTo(0);
        assertThat(up.out()).matches("(?s)uploaded 3 entries in 1 batch in [0-9.]+ s \\([0-9,]+ entries/s\\), "
                + "sequences \\d+\\.\\.\\d+\n");

        Result csvOut = run("search", "cli-u-", "--format", "csv");
        assertThat(csvOut.code()).isEqualTo(0);
        assertThat(csvOut.out()).isEqualTo(HEADER
                + "cli-u-José,10.0.0.1,443,1700000000,100,2000,0.5,web-01\n"
                + "cli-u-明,2001:db8::1,8080,1700000001,0,4294967295,99.25,\"edge, tokyo\"\n"
                + "cli-u-Zoë,10.0.0.3,22,1700000002,7,8,-1.5,\"the \"\"db\"\"\"\n");

        Result jsonl = run("query", "username=cli-u-明", "--format", "jsonl");
        assertThat(jsonl.out()).isEqualTo("{\"username\":\"cli-u-明\",\"IP\":\"2001:db8::1\",\"port\":8080,"
                + "\"accessTime\":1700000001,\"dataSent\":0,\"dataReceived\":4294967295,\"score\":99.25,"
                + "\"server\":\"edge, tokyo\"}\n");

        Result table = run("query", "port<1000, username!=nobody, accessTime>=1700000000, accessTime<=1700000002",
                "--format", "table");
        assertThat(table.code()).isEqualTo(0);
        List<String> lines = table.outLines();
        assertThat(lines.get(0)).startsWith("username").contains("IP").endsWith("server");
        assertThat(lines.get(1)).matches("[- ]+");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("cli-u-José ").endsWith("web-01"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("cli-u-Zoë ").contains("-1.5"));
        assertThat(lines.get(lines.size() - 1)).matches("\\(\\d+ rows?\\)");
        // Columns line up: every cell of a column ends (numbers) at the same place as its header.
        int portEnd = lines.get(0).indexOf("port") + 4;
        assertThat(lines.stream().filter(l -> l.startsWith("cli-u-José") || l.startsWith("cli-u-Zoë")))
                .hasSize(2).allSatisfy(l -> {
                    assertThat(l.charAt(portEnd - 1)).isBetween('0', '9');
                    assertThat(l.charAt(portEnd)).isEqualTo(' ');
                });
    }

    @Test
    void uploadJsonLinesWithUnicodeFromAFileAndFromStandardInput() throws IOException {
        Path jsonl = write("unicode.jsonl",
                "{\"username\":\"cli-j-Ярослав\",\"IP\":\"10.1.1.1\",\"port\":80,\"accessTime\":5,\"dataSent\":1,"
                        + "\"dataReceived\":2,\"score\":0.1,\"server\":\"Ærø\"}\n"
                        + "\n"
                        + "{\"server\":\"s\",\"score\":3,\"dataReceived\":2,\"dataSent\":1,\"accessTime\":6,\"port\":81,"
                        + "\"ip\":\"10.1.1.2\",\"username\":\"cli-j-🙂\"}\n");
        Result up = run("upload", jsonl.toString());
        assertThat(up.code()).as(up.err()).isEqualTo(0);
        assertThat(up.out()).startsWith("uploaded 2 entries in 1 batch");
        Result viaStdin = runWithInput("{\"username\":\"cli-j-stdin\",\"IP\":\"x\",\"port\":1,\"accessTime\":7,\"dataSent\":1,"
                + "\"dataReceived\":2,\"score\":1e2,\"server\":\"s\"}\n", "upload", "-");
        assertThat(viaStdin.code()).as(viaStdin.err()).isEqualTo(0);
        Result back = run("search", "CLI-J-", "--format", "jsonl");
        assertThat(back.outLines()).containsExactly(
                "{\"username\":\"cli-j-Ярослав\",\"IP\":\"10.1.1.1\",\"port\":80,\"accessTime\":5,\"dataSent\":1,"
                        + "\"dataReceived\":2,\"score\":0.1,\"server\":\"Ærø\"}",
                "{\"username\":\"cli-j-🙂\",\"IP\":\"10.1.1.2\",\"port\":81,\"accessTime\":6,\"dataSent\":1,"
                        + "\"dataReceived\":2,\"score\":3.0,\"server\":\"s\"}",
                "{\"username\":\"cli-j-stdin\",\"IP\":\"x\",\"port\":1,\"accessTime\":7,\"dataSent\":1,"
                        + "\"dataReceived\":2,\"score\":100.0,\"server\":\"s\"}");
    }

    @Test
    void csvAndJsonlOutputRoundTripThroughUpload() throws IOException {
        StringBuilder sb = new StringBuilder(HEADER);
        for (int i = 0; i < 300; i++) {
            sb.append("cli-rt-").append(i % 7 == 0 ? "Søren, jr" : "明" + i).append(i % 5 == 0 ? "\"q\"" : "")
                    .append(',').append("10.0.").append(i % 256).append(".1,").append(i * 200 % 65536).append(',')
                    .append(1_600_000_000L + i).append(',').append(i * 37L).append(',').append(4294967295L - i)
                    .append(',').append(i / 3.0f).append(",srv-").append(i % 3).append('\n');
        }
        // Quote what needs it.
        String text = sb.toString().replaceAll("(?m)^(cli-rt-[^,\\n]*, jr[^,]*|cli-rt-[^,\\n]*\"q\")",
                "\"$1\"").replace("\"q\"\"", "\"\"q\"\"\"");
        Path original = write("rt.csv", text);
        assertThat(run("upload", original.toString()).code()).isEqualTo(0);

        Result csv = run("search", "cli-rt-", "--format", "csv");
        Result jsonl = run("search", "cli-rt-", "--format", "jsonl");
        assertThat(csv.outLines()).hasSize(301);
        assertThat(jsonl.outLines()).hasSize(300);
        Path csvCopy = write("rt-copy.csv", csv.out());
        Path jsonlCopy = write("rt-copy.jsonl", jsonl.out());
        assertThat(run("upload", csvCopy.toString()).code()).isEqualTo(0);
        assertThat(run("upload", jsonlCopy.toString()).code()).isEqualTo(0);

        // Now every entry is there three times, identical each time.
        Result again = run("search", "cli-rt-", "--format", "csv");
        List<String> rows = again.outLines().subList(1, again.outLines().size());
        List<String> once = csv.outLines().subList(1, 301);
        List<String> expected = new ArrayList<>(once);
        expected.addAll(once);
        expected.addAll(once);
        assertThat(rows).containsExactlyElementsOf(expected);
        assertThat(run("search", "cli-rt-", "--format", "jsonl").outLines())
                .containsExactlyElementsOf(concat(jsonl.outLines(), jsonl.outLines(), jsonl.outLines()));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> l : lists) {
            all.addAll(l);
        }
        return all;
    }

    @Test
    void aBadCsvLineIsReportedAsFileLineReasonAndNothingOfItsBatchIsStored() throws IOException {
        Path bad = write("bad.csv", HEADER
                + "cli-bad-a,10.0.0.1,443,1700000000,100,2000,0.5,web\n"
                + "cli-bad-b,10.0.0.1,70000,1700000000,100,2000,0.5,web\n"
                + "cli-bad-c,10.0.0.1,443,1700000000,100,2000,0.5,web\n");
        Result r = run("upload", bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().split("\n")[0]).isEqualTo(bad + ":3: port: \"70000\" is not an integer in 0..65535");
        assertThat(r.err()).contains("nothing was stored");
        assertThat(run("search", "cli-bad-", "--format", "csv").out()).isEqualTo(HEADER);

        Result skipping = run("upload", "--skip-invalid", bad.toString());
        assertThat(skipping.code()).isEqualTo(0);
        assertThat(skipping.err()).isEqualTo(bad + ":3: port: \"70000\" is not an integer in 0..65535 (skipped)\n");
        assertThat(skipping.out()).contains("uploaded 2 entries").contains("skipped 1 invalid line");
    }

    @Test
    void badJsonLinesAndBadCsvShapesNameTheirLine() throws IOException {
        Path json = write("bad.jsonl", "{\"username\":\"cli-badj\",\"IP\":\"x\",\"port\":1,\"accessTime\":7,"
                + "\"dataSent\":1,\"dataReceived\":2,\"score\":1,\"server\":\"s\"}\n\n"
                + "{\"username\":\"cli-badj\",\"IP\":\"x\",\"port\":\"1\",\"accessTime\":7,"
                + "\"dataSent\":1,\"dataReceived\":2,\"score\":1,\"server\":\"s\"}\n");
        Result r = run("upload", json.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().split("\n")[0]).isEqualTo(json + ":3: port: expected a number, found the string \"1\"");

        Path shape = write("shape.csv", HEADER + "a,b,1,2,3,4,5,s\n" + "\"multi\nline\",b,1,2,3\n");
        Result s = run("upload", shape.toString());
        assertThat(s.code()).isEqualTo(1);
        assertThat(s.err().split("\n")[0]).isEqualTo(shape + ":3: expected 8 fields, found 5");

        Path header = write("header.csv", "username,IP,port,accessTime,dataSent,dataReceived,score\n");
        Result h = run("upload", header.toString());
        assertThat(h.code()).isEqualTo(1);
        assertThat(h.err().split("\n")[0]).startsWith(header + ":1: header: missing column server");

        Result missing = run("upload", dir.resolve("no-such.csv").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("no-such.csv: no such file");
    }

    @Test
    void sortUploadsInAccessTimeOrder() throws IOException {
        Path unsorted = write("unsorted.csv", HEADER
                + "cli-sort-c,ip,1,30,0,0,0,s\n"
                + "cli-sort-a,ip,1,10,0,0,0,s\n"
                + "cli-sort-d,ip,1,30,0,0,0,s\n"
                + "cli-sort-b,ip,1,20,0,0,0,s\n");
        assertThat(run("upload", "--sort", "accessTime", unsorted.toString()).code()).isEqualTo(0);
        Result r = run("search", "cli-sort-", "--format", "csv");
        assertThat(r.outLines().stream().skip(1).map(l -> l.substring(0, l.indexOf(','))))
                .containsExactly("cli-sort-a", "cli-sort-b", "cli-sort-c", "cli-sort-d");
    }

    @Test
    void arithmeticEchoStatsAndPing() {
        assertThat(run("double", "21").out()).isEqualTo("42\n");
        assertThat(run("negate", "-5").out()).isEqualTo("5\n");
        assertThat(run("echo", "héllo, wörld").out()).isEqualTo("héllo, wörld\n");
        Result overflow = run("double", "2147483647");
        assertThat(overflow.code()).isEqualTo(3);
        assertThat(overflow.err()).startsWith("logwire: OVERFLOW: ");
        Result negOverflow = run("negate", "-2147483648");
        assertThat(negOverflow.code()).isEqualTo(3);
        Result notAnInt = run("double", "2147483648");
        assertThat(notAnInt.code()).isEqualTo(1);

        Result stats = run("stats");
        assertThat(stats.code()).isEqualTo(0);
        assertThat(stats.out()).containsPattern("(?m)^entriesStored\\s+\\d+").containsPattern("(?m)^uptimeMillis\\s+\\d+");
        Result json = run("stats", "--json");
        assertThat(json.out()).startsWith("{").contains("\"messagesReceived\"");

        Result ping = run("ping", "--count", "2");
        assertThat(ping.code()).isEqualTo(0);
        assertThat(ping.out()).contains("connected to 127.0.0.1:" + server.port()).contains("TLSv1.")
                .contains("protocol 2, max frame 16.0 MiB");
    }

    @Test
    void optionsMayFollowTheCommandAndErrorsMapToExitCodes() {
        Result after = raw("", "double", "4", "--host", "127.0.0.1", "--port", String.valueOf(server.port()),
                "--ca", server.certificate().toString());
        assertThat(after.code()).as(after.err()).isEqualTo(0);
        assertThat(after.out()).isEqualTo("8\n");

        Result untrusted = raw("", "--host", "127.0.0.1", "--port", String.valueOf(server.port()), "ping");
        assertThat(untrusted.code()).isEqualTo(2);
        assertThat(untrusted.err()).contains("not signed by a trusted CA");

        Result insecure = raw("", "--host", "127.0.0.1", "--port", String.valueOf(server.port()), "--insecure", "ping");
        assertThat(insecure.code()).isEqualTo(0);
        assertThat(insecure.err()).startsWith("WARNING: --insecure");

        Result refused = raw("", "--host", "127.0.0.1", "--port", "1", "ping");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).contains("connection refused by 127.0.0.1:1");

        Result badFilter = run("query", "port=>1");
        assertThat(badFilter.code()).isEqualTo(3);
        assertThat(badFilter.err()).contains("INVALID_QUERY");

        Result unknown = raw("", "frobnicate");
        assertThat(unknown.code()).isEqualTo(1);
        Result noCommand = raw("");
        assertThat(noCommand.code()).isEqualTo(1);

        Result help = raw("", "--help");
        assertThat(help.code()).isEqualTo(0);
        assertThat(help.out()).contains("Exit codes:").contains("0   success").contains("3   the server answered")
                .contains("LOGWIRE_HOST").contains("LOGWIRE_TIMEOUT");
    }

    @Test
    void theShellIsDrivenByPipedInput() throws IOException {
        Path data = write("shell.csv", HEADER
                + "cli-sh-alice,10.0.0.1,443,100,1,1,0.9,web\n"
                + "cli-sh-bob,10.0.0.2,80,200,1,1,0.2,web\n"
                + "cli-sh-alice,10.0.0.3,8080,300,1,1,0.4,db\n"
                + "cli-sh-carol,10.0.0.4,443,400,1,1,0.7,db\n");
        Path history = dir.resolve("history");
        String script = String.join("\n",
                "upload " + data,
                "search cli-sh-",
                "refine server=db",
                "refine score<0.5",
                "undo",
                "4",                 // refine, by number: the argument comes on the next line
                "port=443",
                "history",
                "!2",                // re-run: search cli-sh-
                "refine nosuchfield=1",
                "save " + dir.resolve("shell-out.csv"),
                "quit",
                "");
        Result r = runWithInput(script, "shell", "--history", history.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        String out = r.out();
        assertThat(out).contains("uploaded 4 entries in 1 batch");
        assertThat(out).contains("4 rows (search cli-sh-)");
        assertThat(out).contains("2 rows (search cli-sh- | refine server=db)");
        assertThat(out).contains("1 row (search cli-sh- | refine server=db | refine score<0.5)");
        assertThat(out).contains("undid 'refine score<0.5'");
        assertThat(out).contains("1 row (search cli-sh- | refine server=db | refine port=443)");
        assertThat(out).contains("    2  search cli-sh-").contains("    6  refine port=443");
        assertThat(out).contains("> search cli-sh-");
        assertThat(out).contains("error: invalid filter: Field not found: nosuchfield");
        assertThat(out).contains("wrote 4 rows to");
        assertThat(out).endsWith("bye\n");
        assertThat(Files.readAllLines(history)).containsExactly("upload " + data, "search cli-sh-",
                "refine server=db", "refine score<0.5", "undo", "refine port=443", "search cli-sh-",
                "refine nosuchfield=1");
        assertThat(Files.readString(dir.resolve("shell-out.csv"))).startsWith(HEADER).contains("cli-sh-carol");

        // The history survives: a new session lists it and can re-run it.
        Result second = runWithInput("history\n!6\nquit\n", "shell", "--history", history.toString());
        assertThat(second.out()).contains("    8  refine nosuchfield=1").contains("> refine port=443")
                .contains("nothing to refine yet");
    }

    @Test
    void theShellCapsTheResultsItKeeps() throws IOException {
        Path data = write("cap.csv", HEADER + "cli-cap-1,ip,1,1,1,1,1,s\n".repeat(5));
        Result r = runWithInput("upload " + data + "\nsearch cli-cap-\nquit\n", "shell", "--max-results", "3", "--page", "0", "--history",
                dir.resolve("h2").toString());
        assertThat(r.out()).contains("more than 3 rows match; only the first 3 are kept (--max-results)")
                .contains("3 rows (search cli-cap-)");
    }

    @Test
    void genCertOutputServesMutualTlsAndAClientWithoutCertificateIsRefused() throws IOException {
        Path certs = dir.resolve("certs");
        Result gen = raw("", "gen-cert", "--ca", "--out", certs.toString(), "--san", "logwire.test");
        assertThat(gen.code()).as(gen.err()).isEqualTo(0);
        for (String f : List.of("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key")) {
            assertThat(certs.resolve(f)).exists();
        }
        for (String f : List.of("ca.key", "server.key", "client.key")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(certs.resolve(f))))
                    .isEqualTo("rw-------");
        }
        assertThat(raw("", "gen-cert", "--ca", "--out", certs.toString()).code()).isEqualTo(1); // no overwrite

        try (TestServer mutual = TestServer.start(TestServer.base(dir.resolve("mutual-data"))
                .tlsCert(certs.resolve("server.crt")).tlsKey(certs.resolve("server.key"))
                .clientCa(certs.resolve("ca.crt")))) {
            String port = String.valueOf(mutual.port());
            Result ok = raw("", "--host", "127.0.0.1", "--port", port, "--ca", certs.resolve("ca.crt").toString(),
                    "--cert", certs.resolve("client.crt").toString(), "--key", certs.resolve("client.key").toString(),
                    "double", "50");
            assertThat(ok.code()).as(ok.err()).isEqualTo(0);
            assertThat(ok.out()).isEqualTo("100\n");
            Result viaName = raw("", "--host", "127.0.0.1", "--server-name", "logwire.test", "--port", port,
                    "--ca", certs.resolve("ca.crt").toString(), "--cert", certs.resolve("client.crt").toString(),
                    "--key", certs.resolve("client.key").toString(), "ping");
            assertThat(viaName.code()).as(viaName.err()).isEqualTo(0);

            Result refused = raw("", "--host", "127.0.0.1", "--port", port, "--ca", certs.resolve("ca.crt").toString(),
                    "double", "50");
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("requires a client certificate").contains("--cert and --key");
        }

        Path single = dir.resolve("single");
        Result selfSigned = raw("", "gen-cert", "--out", single.toString());
        assertThat(selfSigned.code()).isEqualTo(0);
        try (TestServer s = TestServer.start(TestServer.base(dir.resolve("single-data"))
                .tlsCert(single.resolve("server.crt")).tlsKey(single.resolve("server.key")))) {
            Result ok = raw("", "--host", "localhost", "--port", String.valueOf(s.port()),
                    "--ca", single.resolve("server.crt").toString(), "negate", "9");
            // localhost may resolve to ::1 while the server listens on 127.0.0.1 only
            if (ok.code() != 2) {
                assertThat(ok.code()).as(ok.err()).isEqualTo(0);
                assertThat(ok.out()).isEqualTo("-9\n");
            }
            Result byIp = raw("", "--host", "127.0.0.1", "--port", String.valueOf(s.port()),
                    "--ca", single.resolve("server.crt").toString(), "negate", "9");
            assertThat(byIp.out()).isEqualTo("-9\n");
        }
    }

    @Test
    void environmentVariablesConfigureTheRealEntryPoint() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "double", "6");
        pb.environment().put("LOGWIRE_HOST", "127.0.0.1");
        pb.environment().put("LOGWIRE_PORT", String.valueOf(server.port()));
        pb.environment().put("LOGWIRE_CA", server.certificate().toString());
        pb.environment().put("LOGWIRE_TIMEOUT", "20s");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isEqualTo(0);
        assertThat(out).isEqualTo("12\n");

        pb.environment().put("LOGWIRE_PLAINTEXT", "true");
        pb.environment().remove("LOGWIRE_CA");
        Process plain = pb.start();
        String err = new String(plain.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(plain.waitFor()).as(err).isEqualTo(2);
        assertThat(err).contains("drop --plaintext");
    }
}
