package dev.virga.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import dev.virga.api.ErrorResponse;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** JSON over HTTP with Virga's error shape; shared by the public and the agent client. */
final class Http {
    /**
     * One for every client in the process: each {@link HttpClient} has its own selector thread and connection pool,
     * and a control plane holds one agent client per host (thousands).
     */
    private static final HttpClient SHARED = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final HttpClient client;
    private final URI base;
    private final String token;

    Http(URI base, String token) {
        this.base = base;
        this.token = token;
        this.client = SHARED;
    }

    String token() {
        return token;
    }

    URI base() {
        return base;
    }

    HttpClient client() {
        return client;
    }

    /**
     * {@code path} (absolute, such as {@code /agent/1.0/host}) under the base URI, keeping the base's own path: an
     * agent may be served under a prefix (simulated hosts are {@code http://HOST:PORT/sim/NAME}).
     */
    URI uri(String path) {
        var prefix = base.toString();
        return URI.create((prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix) + path);
    }

    /** As {@link #uri(String)}, with the websocket scheme. */
    URI websocket(String path) {
        return URI.create(uri(path).toString().replaceFirst("^http", "ws"));
    }

    HttpRequest.Builder request(String path) {
        var b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofMinutes(30));
        if (!token.isEmpty()) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    <T> T get(String path, Class<T> type) {
        return send(request(path).GET().build(), Json.mapper().constructType(type));
    }

    <T> T get(String path, TypeReference<T> type) {
        return send(request(path).GET().build(), Json.mapper().constructType(type));
    }

    <T> T send(String method, String path, Object body, Class<T> type) {
        return send(jsonRequest(method, path, body), Json.mapper().constructType(type));
    }

    /** For 202 answers: returns the Location header. */
    String sendForLocation(String method, String path, Object body) {
        var response = exchange(jsonRequest(method, path, body));
        return response.headers().firstValue("Location").orElseThrow(
                () -> new ApiException(response.statusCode(), "no Location in answer to " + method + " " + path, Map.of()));
    }

    HttpRequest jsonRequest(String method, String path, Object body) {
        var publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(write(body));
        return request(path).header("Content-Type", "application/json").method(method, publisher).build();
    }

    <T> T send(HttpRequest request, JavaType type) {
        var response = exchange(request);
        if (type.getRawClass() == Void.class) {
            return null;
        }
        try (var in = response.body()) {
            return Json.mapper().readValue(in, type);
        } catch (IOException e) {
            throw new ApiException(0, "bad answer from " + request.uri() + ": " + e.getMessage(), Map.of());
        }
    }

    HttpResponse<InputStream> exchange(HttpRequest request) {
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException e) {
            throw new ApiException(0, "cannot reach " + base + " (is it running?)", Map.of());
        } catch (IOException e) {
            throw new ApiException(0, "cannot talk to " + base + ": " + e, Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted", Map.of());
        }
        if (response.statusCode() >= 400) {
            throw error(response);
        }
        return response;
    }

    private static ApiException error(HttpResponse<InputStream> response) {
        byte[] body = readQuietly(response.body());
        var parsed = parseError(body);
        return parsed.map(e -> new ApiException(response.statusCode(), e.error(),
                        e.details() == null ? Map.of() : e.details()))
                .orElseGet(() -> new ApiException(response.statusCode(),
                        "HTTP " + response.statusCode() + ": " + new String(body).strip(), Map.of()));
    }

    private static byte[] readQuietly(InputStream body) {
        try (var in = body) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static Optional<ErrorResponse> parseError(byte[] body) {
        try {
            var e = Json.mapper().readValue(body, ErrorResponse.class);
            return e.error() == null ? Optional.empty() : Optional.of(e);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static byte[] write(Object body) {
        try {
            return Json.mapper().writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + body.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
