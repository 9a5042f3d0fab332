package io.logwire.server.metrics;

import io.logwire.protocol.message.ErrorCode;
import io.logwire.protocol.message.Opcode;
import io.logwire.server.ServerStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The HTTP side of the metrics port: paths, methods, formats, limits. */
class MetricsHttpServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private ServerMetrics metrics;
    private MetricsHttpServer server;
    private volatile String notReady;

    @BeforeEach
    void start() throws Exception {
        metrics = new ServerStats().metrics();
        server = MetricsHttpServer.start("127.0.0.1", 0, metrics, () -> notReady);
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
    }

    private HttpResponse<String> send(HttpRequest.Builder b, String path) throws Exception {
        return HTTP.send(b.uri(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesMetricsInBothFormats() throws Exception {
        metrics.requestAnswered(Opcode.QUERY, ErrorCode.INVALID_QUERY);
        metrics.requestAnswered(Opcode.QUERY, ErrorCode.INVALID_QUERY);
        metrics.requestAbandoned(Opcode.UPLOAD);
        HttpResponse<String> text = send(HttpRequest.newBuilder(), "/metrics?name=ignored");
        assertThat(text.statusCode()).isEqualTo(200);
        assertThat(text.headers().firstValue("content-type")).hasValue(MetricsHttpServer.PROMETHEUS_TEXT);
        assertThat(text.body())
                .contains("# TYPE logwire_requests_total counter")
                .contains("logwire_requests_total{opcode=\"QUERY\",outcome=\"INVALID_QUERY\"} 2.0")
                .contains("logwire_requests_total{opcode=\"UPLOAD\",outcome=\"abandoned\"} 1.0")
                .contains("logwire_requests_total{opcode=\"HELLO\",outcome=\"ok\"} 0.0");
        HttpResponse<String> open = send(HttpRequest.newBuilder()
                .header("Accept", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"), "/metrics");
        assertThat(open.headers().firstValue("content-type")).hasValue(MetricsHttpServer.OPENMETRICS_TEXT);
        assertThat(open.body()).contains("logwire_requests_total{opcode=\"QUERY\",outcome=\"INVALID_QUERY\"} 2")
                .endsWith("# EOF\n");
    }

    @Test
    void healthReadinessAndErrors() throws Exception {
        assertThat(send(HttpRequest.newBuilder(), "/healthz").body()).isEqualTo("ok\n");
        assertThat(send(HttpRequest.newBuilder(), "/readyz").statusCode()).isEqualTo(200);
        notReady = "draining (shutting down)";
        HttpResponse<String> r = send(HttpRequest.newBuilder(), "/readyz");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("not ready: draining (shutting down)\n");
        assertThat(send(HttpRequest.newBuilder(), "/healthz").statusCode()).isEqualTo(200);
        notReady = null;
        assertThat(send(HttpRequest.newBuilder(), "/readyz").statusCode()).isEqualTo(200);

        HttpResponse<String> head = send(HttpRequest.newBuilder().method("HEAD", HttpRequest.BodyPublishers.noBody()),
                "/healthz");
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("content-length")).hasValue("3");
        HttpResponse<String> post = send(HttpRequest.newBuilder().POST(HttpRequest.BodyPublishers.ofString("x")),
                "/metrics");
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
        assertThat(send(HttpRequest.newBuilder(), "/").statusCode()).isEqualTo(404);
    }

    @Test
    void oversizedRequestsAndTooManyConnectionsAreRefused() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(status).matches("HTTP/1\\.1 4\\d\\d");
        }
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < MetricsHttpServer.MAX_CONNECTIONS; i++) {
                held.add(new Socket("127.0.0.1", server.port()));
            }
            // All of those are served (a request on the last one works) ...
            Socket last = held.get(held.size() - 1);
            last.setSoTimeout(5000);
            last.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(last.getInputStream().readNBytes(15), StandardCharsets.US_ASCII))
                    .isEqualTo("HTTP/1.1 200 OK");
            // ... and one more is closed at once.
            try (Socket extra = new Socket("127.0.0.1", server.port())) {
                extra.setSoTimeout(5000);
                InputStream in = extra.getInputStream();
                assertThat(in.read()).isEqualTo(-1);
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
        server.close();
        assertThatThrownBy(() -> send(HttpRequest.newBuilder(), "/healthz")).isInstanceOf(ConnectException.class);
    }
}
