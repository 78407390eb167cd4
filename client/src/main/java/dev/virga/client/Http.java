package dev.virga.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import dev.virga.api.ErrorResponse;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * JSON over HTTP with Virga's error shape; shared by the public and the agent client.
 *
 * <p>With several server URLs (servers on one PostgreSQL store, one leading), a request goes to the one that took the
 * last request, and moves on to the next when a server refuses the connection or answers 503 as a standby. Only
 * those two: the request has then certainly not been carried out. While every server does so (the leader just died
 * and no standby has taken over yet) it goes round again for up to {@link #FAILOVER_WAIT}.
 */
final class Http {
    /**
     * One for every client in the process: each {@link HttpClient} has its own selector thread and connection pool,
     * and a control plane holds one agent client per host (thousands).
     */
    private static final HttpClient SHARED = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Duration FAILOVER_WAIT = Duration.ofSeconds(15);
    private static final Duration ROUND_PAUSE = Duration.ofMillis(200);
    private final HttpClient client;
    private final List<URI> bases;
    private volatile int current;
    private final String token;

    Http(URI base, String token) {
        this(List.of(base), token);
    }

    Http(List<URI> bases, String token) {
        if (bases.isEmpty()) {
            throw new IllegalArgumentException("no server URL");
        }
        this.bases = List.copyOf(bases);
        this.token = token;
        this.client = SHARED;
    }

    String token() {
        return token;
    }

    /** The server that took the last request (the first one before any). */
    URI base() {
        return bases.get(current);
    }

    List<URI> bases() {
        return bases;
    }

    HttpClient client() {
        return client;
    }

    /**
     * {@code path} (absolute, such as {@code /agent/1.0/host}) under the base URI, keeping the base's own path: an
     * agent may be served under a prefix (simulated hosts are {@code http://HOST:PORT/sim/NAME}).
     */
    URI uri(String path) {
        return under(base(), path);
    }

    /** As {@link #uri(String)}, with the websocket scheme. */
    URI websocketUri(String path) {
        return URI.create(uri(path).toString().replaceFirst("^http", "ws"));
    }

    static URI under(URI base, String path) {
        var prefix = base.toString();
        return URI.create((prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix) + path);
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
        if (bases.size() == 1) {
            return exchangeWith(request, bases.getFirst());
        }
        long deadline = System.nanoTime() + FAILOVER_WAIT.toNanos();
        var refusals = new ArrayList<String>();
        while (true) {
            int first = current;
            refusals.clear();
            for (int i = 0; i < bases.size(); i++) {
                int at = (first + i) % bases.size();
                try {
                    var response = exchangeWith(request, bases.get(at));
                    current = at;
                    return response;
                } catch (Unreachable | NotLeader e) {
                    refusals.add(e.getMessage());
                }
            }
            if (System.nanoTime() > deadline || !pause()) {
                throw new ApiException(503, "no server took the request (tried for " + FAILOVER_WAIT.toSeconds()
                        + " s): " + String.join("; ", refusals), Map.of());
            }
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(ROUND_PAUSE);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code request} sent to {@code base} instead of the server it was built for. */
    private HttpResponse<InputStream> exchangeWith(HttpRequest request, URI base) {
        var target = request.uri().getHost() != null && sameServer(request.uri(), base) ? request
                : HttpRequest.newBuilder(request, (name, value) -> true).uri(on(base, request.uri())).build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(target, HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new Unreachable("cannot reach " + base + " (is it running?)");
        } catch (IOException e) {
            throw new ApiException(0, "cannot talk to " + base + ": " + e, Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted", Map.of());
        }
        if (response.statusCode() >= 400) {
            var error = error(response);
            if (error.code() == 503 && error.details().containsKey(ErrorResponse.LEADER)) {
                throw new NotLeader(base + ": " + error.getMessage(), error.details());
            }
            throw error;
        }
        return response;
    }

    private static boolean sameServer(URI a, URI b) {
        return a.getScheme().equals(b.getScheme()) && String.valueOf(a.getRawAuthority()).equals(b.getRawAuthority());
    }

    /** The path and query of {@code uri} on {@code base}'s server. */
    static URI on(URI base, URI uri) {
        return URI.create(base.getScheme() + "://" + base.getRawAuthority() + uri.getRawPath()
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
    }

    /** Opens a websocket on the first server that accepts it, moving on as {@link #exchange} does (no waiting). */
    CompletableFuture<WebSocket> websocket(String path, WebSocket.Listener listener) {
        return websocket(current, 0, path, listener);
    }

    private CompletableFuture<WebSocket> websocket(int at, int tried, String path, WebSocket.Listener listener) {
        var uri = URI.create(under(bases.get(at), path).toString().replaceFirst("^http", "ws"));
        return client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(uri, listener)
                .thenApply(ws -> {
                    current = at;
                    return ws;
                })
                .exceptionallyCompose(e -> {
                    var cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    boolean elsewhere = cause instanceof ConnectException || cause instanceof HttpConnectTimeoutException
                            || (cause instanceof WebSocketHandshakeException h && h.getResponse().statusCode() == 503);
                    return elsewhere && tried + 1 < bases.size()
                            ? websocket((at + 1) % bases.size(), tried + 1, path, listener)
                            : CompletableFuture.failedFuture(cause);
                });
    }

    /** The server refused the connection: nothing was sent, another may take the request. */
    static final class Unreachable extends ApiException {
        Unreachable(String message) {
            super(0, message, Map.of());
        }
    }

    /** A standby answered 503 naming the leader: nothing was done, the leader may take the request. */
    static final class NotLeader extends ApiException {
        NotLeader(String message, Map<String, Object> details) {
            super(503, message, details);
        }
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
