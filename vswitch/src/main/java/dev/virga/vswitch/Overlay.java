package dev.virga.vswitch;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * VXLAN (RFC 7348) between hosts' switches: each frame in one UDP datagram behind an 8-byte header
 * (flags with the I bit, 24-bit VNI). Sent from the receiving socket, so a peer can answer the
 * source address. Non-blocking: a datagram the kernel will not take now is dropped and counted.
 */
final class Overlay implements AutoCloseable {
    static final int HEADER = 8;
    static final int FLAG_VNI_VALID = 0x08;
    /** Asked for; the kernel caps it at net.core.rmem_max / wmem_max. */
    static final int SOCKET_BUFFER = 4 << 20;

    final DatagramChannel channel;
    final InetSocketAddress address;
    final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(HEADER + Port.MAX_FRAME);
    final ByteBuffer receiveView = receiveBuffer.duplicate();
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(HEADER + Port.MAX_FRAME);
    long rxFrames;
    long txFrames;
    long rxDropped;
    long txDropped;

    Overlay(InetSocketAddress bind) {
        try {
            channel = DatagramChannel.open();
            channel.configureBlocking(false);
            // one datagram per frame: small frames fill the default 208 KiB buffer after a few hundred
            channel.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            channel.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            channel.bind(bind);
            address = (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new SwitchException("cannot bind the VXLAN socket to " + bind + ": " + e.getMessage(), e);
        }
    }

    void send(int vni, ByteBuffer src, int offset, int length, InetSocketAddress to) {
        ByteBuffer out = sendBuffer;
        out.clear();
        out.putInt(0, FLAG_VNI_VALID << 24);
        out.putInt(4, vni << 8);
        out.put(HEADER, src, offset, length);
        out.limit(HEADER + length);
        try {
            if (channel.send(out, to) == 0) {
                txDropped++;
            } else {
                txFrames++;
            }
        } catch (IOException e) {
            txDropped++;
        }
    }

    /** Receives one datagram into {@link #receiveBuffer}; returns its sender, or null when none is waiting. */
    InetSocketAddress receive() throws IOException {
        receiveBuffer.clear();
        SocketAddress from = channel.receive(receiveBuffer);
        return (InetSocketAddress) from;
    }

    /** The VNI of the received datagram, or -1 when it is not a VXLAN frame. */
    int receivedVni() {
        int length = receiveBuffer.position();
        if (length < HEADER + Frames.ETH_HEADER || (receiveBuffer.get(0) & FLAG_VNI_VALID) == 0) {
            return -1;
        }
        return receiveBuffer.getInt(4) >>> 8;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
