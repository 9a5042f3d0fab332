package io.logwire.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class BenchResultTest {
    @Test
    void jsonCarriesThroughputPercentilesAndStatus() throws Exception {
        BenchResult r = new BenchResult("ingest");
        r.parameters().put("connections", 8);
        BenchResult.throughput(r.json().putObject("ingest"), 1_000_000, 60_000_000, 2.0);
        Histogram h = BenchResult.newHistogram();
        for (int i = 1; i <= 1000; i++) {
            h.recordValue(i);
        }
        BenchResult.latency(r.json().putObject("uploadAckLatency"), h);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream human = new ByteArrayOutputStream();
        r.print(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(human, true, StandardCharsets.UTF_8), true);

        JsonNode j = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertThat(j.get("scenario").asText()).isEqualTo("ingest");
        assertThat(j.get("status").asText()).isEqualTo("ok");
        assertThat(j.at("/parameters/connections").asInt()).isEqualTo(8);
        assertThat(j.at("/ingest/entriesPerSecond").asLong()).isEqualTo(500_000);
        assertThat(j.at("/ingest/megabytesPerSecond").asDouble()).isEqualTo(30.0);
        JsonNode lat = j.get("uploadAckLatency");
        assertThat(lat.get("p50").asLong()).isBetween(499L, 501L);
        assertThat(lat.get("p90").asLong()).isBetween(899L, 901L);
        assertThat(lat.get("p99").asLong()).isBetween(989L, 991L);
        assertThat(lat.get("p99.9").asLong()).isBetween(998L, 1000L);
        assertThat(lat.get("max").asLong()).isEqualTo(1000);
        assertThat(j.has("loadAverage")).isTrue();
        assertThat(human.toString(StandardCharsets.UTF_8)).contains("status ok");
    }

    @Test
    void aFailureMakesTheStatusFailed() throws Exception {
        BenchResult r = new BenchResult("ingest").fail("lost 3");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.print(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()), true);
        JsonNode j = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
        assertThat(r.failed()).isTrue();
        assertThat(j.get("status").asText()).isEqualTo("failed");
        assertThat(j.get("failures").get(0).asText()).isEqualTo("lost 3");
    }
}
