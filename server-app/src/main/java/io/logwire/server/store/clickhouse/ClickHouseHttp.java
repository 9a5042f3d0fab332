package io.logwire.server.store.clickhouse;

import io.logwire.server.store.StoreException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ClickHouse's HTTP interface through the JDK's {@link HttpClient}: statements in the body or
 * in {@code query=}, settings as URL parameters, HTTP Basic authentication. All calls block;
 * callers run them on their own threads, never on event loops. Thread-safe.
 */
final class ClickHouseHttp {
    private final HttpClient client;
    private final String authorization;
    private final Duration requestTimeout;

    ClickHouseHttp(ClickHouseConfig config) {
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout())
                .build();
        this.authorization = "Basic " + Base64.getEncoder().encodeToString(
                (config.user() + ":" + config.password()).getBytes(StandardCharsets.UTF_8));
        this.requestTimeout = config.requestTimeout();
    }

    /** A non-2xx answer: ClickHouse's own error text. The statement was not executed (or failed). */
    static final class ClickHouseError extends StoreException {
        ClickHouseError(String message) {
            super(message);
        }
    }

    /** URL parameters in order. */
    static Map<String, String> params(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int k = 0; k < kv.length; k += 2) {
            m.put(kv[k], kv[k + 1]);
        }
        return m;
    }

    private HttpRequest.Builder request(URI base, Map<String, String> params, Duration timeout) {
        StringBuilder q = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            q.append(q.length() == 0 ? '?' : '&').append(e.getKey()).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        return HttpRequest.newBuilder(base.resolve(q.toString()))
                .timeout(timeout == null ? requestTimeout : timeout)
                .header("Authorization", authorization);
    }

    /** Runs {@code sql} (sent as the body) and returns the whole answer as text. */
    String execute(URI base, String sql, Map<String, String> params) throws IOException, InterruptedException {
        return execute(base, sql, params, null);
    }

    /** The same with its own timeout ({@code null}: the configured request timeout). */
    String execute(URI base, String sql, Map<String, String> params, Duration timeout)
            throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request(base, params, timeout)
                .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() / 100 != 2) {
            throw new ClickHouseError(errorText(r.statusCode(), r.body()));
        }
        return r.body();
    }

    String execute(URI base, String sql) throws IOException, InterruptedException {
        return execute(base, sql, Map.of());
    }

    /** Sends {@code body} as the data of the statement in {@code params}' {@code query}. */
    void insert(URI base, Map<String, String> params, byte[] body, int offset, int length)
            throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(request(base, params, null)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body, offset, length)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() / 100 != 2) {
            throw new ClickHouseError(errorText(r.statusCode(), r.body()));
        }
    }

    /** Runs a SELECT and returns its result as a stream, read as ClickHouse sends it. */
    InputStream stream(URI base, String sql, Map<String, String> params) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = client.send(request(base, params, null)
                .POST(HttpRequest.BodyPublishers.ofString(sql, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() / 100 != 2) {
            String text;
            try (InputStream in = r.body()) {
                text = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
            }
            throw new ClickHouseError(errorText(r.statusCode(), text));
        }
        return r.body();
    }

    /** Whether {@code GET /ping} answers within {@code timeout}. */
    boolean ping(URI base, Duration timeout) {
        try {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(base.resolve("ping")).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String errorText(int status, String body) {
        String b = body == null ? "" : body.strip();
        if (b.length() > 1000) {
            b = b.substring(0, 1000) + "...";
        }
        return "ClickHouse answered HTTP " + status + (b.isEmpty() ? "" : ": " + b);
    }
}
