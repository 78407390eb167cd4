package dev.virga.vswitch;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections to QEMU's stream sockets. QEMU is the server; the switch dials, and dials again
 * (waiting longer each time, up to a bound) whenever a dial fails or a connection ends, so a QEMU
 * that outlives the switch, or a switch that outlives a QEMU restart, finds its peer again. Reads
 * split QEMU's framing (4-byte big-endian length + frame) and hand each frame to the dataplane.
 */
final class PortLinks {
    private static final Logger log = LoggerFactory.getLogger(PortLinks.class);

    private final Selector selector;
    private final Now now;
    private final PortIndex ports;
    private final long redialMin;
    private final long redialMax;
    private Dataplane dataplane;
    private long nextDialDue = Long.MAX_VALUE;

    PortLinks(Selector selector, Now now, PortIndex ports, SwitchOptions options) {
        this.selector = selector;
        this.now = now;
        this.ports = ports;
        this.redialMin = options.redialMin().toMillis();
        this.redialMax = options.redialMax().toMillis();
    }

    void use(Dataplane dataplane) {
        this.dataplane = dataplane;
    }

    void open(Port port) {
        port.backoffMillis = redialMin;
        dial(port);
    }

    /** Milliseconds until some port should be dialed again (Long.MAX_VALUE: none waiting). */
    long millisToNextDial() {
        return nextDialDue == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, nextDialDue - now.millis);
    }

    void dialDue() {
        if (now.millis < nextDialDue) {
            return;
        }
        nextDialDue = Long.MAX_VALUE;
        for (Port port : ports.byIndex) {
            if (port == null || port.channel != null) {
                continue;
            }
            if (port.nextDialAt <= now.millis) {
                dial(port);
            } else {
                nextDialDue = Math.min(nextDialDue, port.nextDialAt);
            }
        }
    }

    private void dial(Port port) {
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.configureBlocking(false);
            port.channel = channel;
            if (channel.connect(UnixDomainSocketAddress.of(port.spec.socket()))) {
                connected(port);
            } else {
                port.key = channel.register(selector, SelectionKey.OP_CONNECT, port);
            }
        } catch (IOException e) {
            closeQuietly(channel);
            port.channel = null;
            port.key = null;
            dialFailed(port, e);
        }
    }

    private void dialFailed(Port port, IOException e) {
        port.failedDials++;
        if (port.failedDials == 1) {
            log.info("port {}: cannot reach QEMU at {} ({}); dialing again", port.spec.id(), port.spec.socket(),
                    e.getMessage());
        } else {
            log.debug("port {}: dial {} failed: {}", port.spec.id(), port.failedDials, e.getMessage());
        }
        port.nextDialAt = now.millis + port.backoffMillis;
        port.backoffMillis = Math.min(redialMax, Math.max(1, port.backoffMillis * 2));
        nextDialDue = Math.min(nextDialDue, port.nextDialAt);
    }

    private void connected(Port port) throws ClosedChannelException {
        port.key = port.channel.register(selector, SelectionKey.OP_READ, port);
        port.connected = true;
        port.connects++;
        port.failedDials = 0;
        port.backoffMillis = redialMin;
        port.readBuffer.clear();
        log.info("port {}: connected to QEMU at {}", port.spec.id(), port.spec.socket());
    }

    void onReady(Port port, SelectionKey key) {
        try {
            if (key.isConnectable()) {
                if (port.channel.finishConnect()) {
                    connected(port);
                }
                return;
            }
            if (key.isReadable()) {
                read(port);
            }
            if (port.connected && key.isValid() && key.isWritable()) {
                write(port);
            }
        } catch (IOException e) {
            if (port.connected) {
                lost(port, e.getMessage());
            } else {
                closeQuietly(port.channel);
                port.channel = null;
                port.key = null;
                dialFailed(port, e);
            }
        }
    }

    private void read(Port port) throws IOException {
        ByteBuffer b = port.readBuffer;
        if (port.channel.read(b) < 0) {
            lost(port, "QEMU closed the connection");
            return;
        }
        int end = b.position();
        int at = 0;
        while (end - at >= 4) {
            int length = b.getInt(at);
            if (length < 0 || length > Port.MAX_FRAME) {
                lost(port, "bad frame length " + length);
                return;
            }
            if (end - at - 4 < length) {
                break;
            }
            dataplane.fromPort(port, at + 4, length);
            at += 4 + length;
        }
        if (at > 0) {
            b.put(0, b, at, end - at);
            b.position(end - at);
        }
    }

    /** Writes what is queued for the port; waits for writability if the socket is full. */
    void flush(Port port) {
        if (!port.connected || (port.key.interestOps() & SelectionKey.OP_WRITE) != 0) {
            return;
        }
        try {
            if (!port.out.writeTo(port.channel)) {
                port.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        } catch (IOException e) {
            lost(port, e.getMessage());
        }
    }

    private void write(Port port) throws IOException {
        if (port.out.writeTo(port.channel)) {
            port.key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void lost(Port port, String why) {
        log.info("port {}: connection to QEMU lost ({}); dialing again", port.spec.id(), why);
        disconnect(port);
        port.backoffMillis = redialMin;
        port.nextDialAt = now.millis + redialMin;
        nextDialDue = Math.min(nextDialDue, port.nextDialAt);
    }

    /** Closes the port's connection; what was queued for it is dropped and counted. */
    void disconnect(Port port) {
        closeQuietly(port.channel);
        port.channel = null;
        port.key = null;
        port.connected = false;
        port.queueDrops += port.out.clear();
        port.readBuffer.clear();
    }

    private static void closeQuietly(SocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to do with a broken connection
            }
        }
    }
}
