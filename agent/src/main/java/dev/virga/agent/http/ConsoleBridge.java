package dev.virga.agent.http;

import dev.virga.agent.vm.VmHost;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A websocket joined to a VM's serial console socket: guest output out as binary frames, keystrokes in. */
final class ConsoleBridge {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleBridge.class);
    private final VmHost vms;
    private final Map<String, SocketChannel> channels = new ConcurrentHashMap<>();

    private final String token;

    ConsoleBridge(VmHost vms, String token) {
        this.vms = vms;
        this.token = token;
    }

    void configure(WsConfig ws) {
        ws.onConnect(ctx -> {
            ctx.session.setIdleTimeout(java.time.Duration.ofDays(1));
            if (!AgentRoutes.matches(token, AgentRoutes.bearer(ctx.header("Authorization")))) {
                ctx.closeSession(4401, "this agent needs the host's token");
                return;
            }
            try {
                var socket = vms.consoleSocket(ctx.pathParam("name"));
                var channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                channels.put(ctx.sessionId(), channel);
                Thread.ofVirtual().name("console-" + ctx.pathParam("name")).start(() -> pump(channel, ctx));
            } catch (RuntimeException | IOException e) {
                ctx.closeSession(4000, "console unavailable: " + e.getMessage());
            }
        });
        ws.onBinaryMessage(ctx -> write(ctx.sessionId(), ByteBuffer.wrap(ctx.data(), ctx.offset(), ctx.length())));
        ws.onMessage(ctx -> write(ctx.sessionId(), ByteBuffer.wrap(ctx.message().getBytes())));
        ws.onClose(ctx -> close(ctx.sessionId()));
        ws.onError(ctx -> close(ctx.sessionId()));
    }

    private static void pump(SocketChannel channel, WsContext ctx) {
        var buffer = ByteBuffer.allocate(8192);
        try {
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                if (buffer.hasRemaining()) {
                    ctx.send(ByteBuffer.allocate(buffer.remaining()).put(buffer).flip());
                }
                buffer.clear();
            }
            ctx.closeSession(1000, "console closed (the VM stopped)");
        } catch (IOException e) {
            LOG.debug("console pump ended: {}", e.toString());
            if (ctx.session.isOpen()) {
                ctx.closeSession(1000, "console closed");
            }
        }
    }

    private void write(String session, ByteBuffer data) {
        var channel = channels.get(session);
        if (channel == null) {
            return;
        }
        try {
            while (data.hasRemaining()) {
                channel.write(data);
            }
        } catch (IOException e) {
            close(session);
        }
    }

    private void close(String session) {
        var channel = channels.remove(session);
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
