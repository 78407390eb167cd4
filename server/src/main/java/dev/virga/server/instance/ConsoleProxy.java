package dev.virga.server.instance;

import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** Joins a user's console websocket to the websocket of the instance's host, byte for byte. */
final class ConsoleProxy {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleProxy.class);
    private final InstanceService instances;
    private final Map<String, WebSocket> upstreams = new ConcurrentHashMap<>();

    ConsoleProxy(InstanceService instances) {
        this.instances = instances;
    }

    void configure(WsConfig ws) {
        ws.onConnect(ctx -> {
            var name = ctx.pathParam("name");
            try {
                var upstream = instances.openConsole(name, new Downstream(ctx)).join();
                upstreams.put(ctx.sessionId(), upstream);
            } catch (RuntimeException e) {
                LOG.info("console of {} refused: {}", name, e.getMessage());
                ctx.closeSession(4000, shorten(e.getMessage()));
            }
        });
        ws.onBinaryMessage(ctx -> forward(ctx.sessionId(), ByteBuffer.wrap(ctx.data(), ctx.offset(), ctx.length())));
        ws.onMessage(ctx -> forward(ctx.sessionId(), ByteBuffer.wrap(ctx.message().getBytes())));
        ws.onClose(ctx -> close(ctx.sessionId()));
        ws.onError(ctx -> close(ctx.sessionId()));
    }

    private void forward(String session, ByteBuffer data) {
        var upstream = upstreams.get(session);
        if (upstream != null) {
            upstream.sendBinary(data, true).join();
        }
    }

    private void close(String session) {
        var upstream = upstreams.remove(session);
        if (upstream != null) {
            upstream.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
        }
    }

    private static String shorten(String s) {
        // a websocket close reason must fit in 123 bytes
        var text = s == null ? "console unavailable" : s;
        return text.length() > 120 ? text.substring(0, 120) : text;
    }

    /** Bytes from the host's console go to the user. */
    private static final class Downstream implements WebSocket.Listener {
        private final WsContext user;

        Downstream(WsContext user) {
            this.user = user;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            var copy = ByteBuffer.allocate(data.remaining()).put(data).flip();
            user.send(copy);
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            user.closeSession(status == -1 ? 1000 : status, reason);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            user.closeSession(1011, "console connection to host failed");
        }
    }
}
