package io.logwire.server;

import io.logwire.server.store.clickhouse.ClickHouseConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The --store and --clickhouse-* options as the command line fills ServerConfig. */
class MainClickHouseOptionsTest {
    @TempDir
    Path dir;

    private static ServerConfig parse(String... args) {
        Main main = new Main();
        new CommandLine(main).parseArgs(args);
        return main.config();
    }

    @Test
    void embeddedIsTheDefaultAndNeedsNoClickHouseSettings() {
        ServerConfig c = parse();
        assertThat(c.storeBackend()).isEqualTo(ServerConfig.StoreBackend.EMBEDDED);
        assertThat(c.clickHouse()).isNull();
    }

    @Test
    void clickHouseOptionsReachTheStoreConfig() throws Exception {
        Path pw = dir.resolve("pw");
        Files.writeString(pw, "s3cret\n");
        ServerConfig c = parse("--store", "ClickHouse", "--clickhouse-url", "http://a:8123, http://b:8123/",
                "--clickhouse-cluster", "prod", "--clickhouse-database", "logs", "--clickhouse-table", "access",
                "--clickhouse-user", "writer", "--clickhouse-password-file", pw.toString(), "--node-id", "3",
                "--clickhouse-connect-timeout", "500ms", "--clickhouse-timeout", "1m", "--clickhouse-max-pending", "1MiB",
                "--clickhouse-keeper", "zk1:2181,zk2:2181/prod", "--clickhouse-keeper-session-timeout", "15s");
        ClickHouseConfig ch = c.clickHouse();
        assertThat(c.storeBackend()).isEqualTo(ServerConfig.StoreBackend.CLICKHOUSE);
        assertThat(ch.urls()).containsExactly(URI.create("http://a:8123/"), URI.create("http://b:8123/"));
        assertThat(ch.cluster()).isEqualTo("prod");
        assertThat(ch.database()).isEqualTo("logs");
        assertThat(ch.table()).isEqualTo("access");
        assertThat(ch.localTable()).isEqualTo("access_local");
        assertThat(ch.user()).isEqualTo("writer");
        assertThat(ch.password()).isEqualTo("s3cret");
        assertThat(ch.nodeId()).isEqualTo(3);
        assertThat(ch.firstSequence()).isEqualTo(3L << 40);
        assertThat(ch.sequenceLimit()).isEqualTo(4L << 40);
        assertThat(ch.connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(ch.requestTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(ch.maxPendingBytes()).isEqualTo(1L << 20);
        assertThat(ch.keeper()).isEqualTo("zk1:2181,zk2:2181/prod");
        assertThat(ch.keeperSessionTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(ch.keeperRoot()).isEqualTo("/logwire/logs/access");
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }

    @Test
    void badValuesAreRefusedWithTheOptionsName() {
        assertThatThrownBy(() -> parse("--store", "postgres")).hasMessageContaining("--store is embedded or clickhouse");
        assertThatThrownBy(() -> parse("--store", "clickhouse", "--clickhouse-password-file", dir.resolve("nope").toString()))
                .hasMessageContaining("cannot read --clickhouse-password-file");
        assertThatThrownBy(() -> parse("--store", "clickhouse", "--node-id", "-1")).hasMessageContaining("--node-id");
        assertThat(parse("--store", "clickhouse").clickHouse().keeper()).as("no keeper by default").isNull();
        assertThat(parse("--store", "clickhouse", "--clickhouse-keeper", " ").clickHouse().keeper()).isNull();
        assertThatThrownBy(() -> parse("--store", "clickhouse", "--clickhouse-table", "a-b"))
                .hasMessageContaining("table name must match");
    }

    @Test
    void thereIsNoPasswordOption() {
        assertThatThrownBy(() -> parse("--clickhouse-password", "x")).isInstanceOf(CommandLine.UnmatchedArgumentException.class);
    }
}
