package dev.virga.vswitch;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VXLAN (RFC 7348) between hosts' switches: each frame in one UDP datagram behind an 8-byte header
 * (flags with the I bit, 24-bit VNI). Received on one socket. Sent, to a host the control plane
 * named, from a socket of its own connected to that host (same local IP, any free port): a write on a
 * connected socket skips the kernel's route lookup and the JDK's address conversion that a sendto
 * does per datagram. The peer knows the sender by its IP ({@link RemoteHosts}), as it must for
 * RFC 7348 senders that vary the source port. A host only learned from its datagrams gets them from
 * the receiving socket. Non-blocking: a datagram the kernel will not take now is dropped and counted
 * (also when the peer's port answered unreachable: connected sockets report ICMP errors).
 */
final class Overlay implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Overlay.class);
    static final int HEADER = 8;
    static final int FLAG_VNI_VALID = 0x08;
    /** Asked for; the kernel caps it at net.core.rmem_max / wmem_max. */
    static final int SOCKET_BUFFER = 4 << 20;

    final DatagramChannel channel;
    final InetSocketAddress address;
    final ByteBuffer receiveBuffer = ByteBuffer.allocateDirect(HEADER + Port.MAX_FRAME);
    final ByteBuffer receiveView = receiveBuffer.duplicate();
    private final ByteBuffer sendBuffer = ByteBuffer.allocateDirect(HEADER + Port.MAX_FRAME);
    /** By remote host index: the connected socket frames to it leave from, opened at its first frame. */
    private DatagramChannel[] links = new DatagramChannel[16];
    long rxFrames;
    long txFrames;
    long rxDropped;
    long txDropped;

    Overlay(InetSocketAddress bind) {
        try {
            // IPv4 only when bound to an IPv4 address: the wildcard keeps taking both families
            InetAddress ip = bind.getAddress();
            channel = ip instanceof Inet4Address && !ip.isAnyLocalAddress()
                    ? DatagramChannel.open(StandardProtocolFamily.INET) : DatagramChannel.open();
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

    void send(int vni, ByteBuffer src, int offset, int length, RemoteHosts remotes, int remote) {
        ByteBuffer out = sendBuffer;
        out.clear();
        out.putInt(0, FLAG_VNI_VALID << 24);
        out.putInt(4, vni << 8);
        out.put(HEADER, src, offset, length);
        out.limit(HEADER + length);
        DatagramChannel link = remote < links.length ? links[remote] : null;
        if (link == null) {
            link = link(remotes, remote);
        }
        try {
            int sent = link == channel ? channel.send(out, remotes.endpoint(remote)) : link.write(out);
            if (sent == 0) {
                txDropped++;
            } else {
                txFrames++;
            }
        } catch (IOException e) {
            txDropped++;
        }
    }

    /** The socket to send to {@code remote} from: its own once the control plane named it, else the receiving one. */
    private DatagramChannel link(RemoteHosts remotes, int remote) {
        if (!remotes.configured(remote)) {
            return channel; // learned from a datagram only: no socket per source address a peer may use
        }
        if (remote >= links.length) {
            links = Arrays.copyOf(links, Math.max(remote + 1, links.length * 2));
        }
        InetSocketAddress to = remotes.endpoint(remote);
        InetAddress local = address.getAddress();
        boolean v4 = to.getAddress() instanceof Inet4Address;
        if (!local.isAnyLocalAddress() && v4 != local instanceof Inet4Address) {
            links[remote] = channel; // the other family than the one this switch listens on: as before
            return channel;
        }
        DatagramChannel link = null;
        try {
            // an IPv4 socket to an IPv4 host: the JDK's default IPv6 socket goes through the kernel's IPv6
            // UDP code, which hands IPv4-mapped destinations on as if unconnected (a route lookup each time)
            link = DatagramChannel.open(v4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
            link.configureBlocking(false);
            link.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            // from the IP peers know this switch by, when it listens on one
            link.bind(local.isAnyLocalAddress() ? null : new InetSocketAddress(local, 0));
            link.connect(to);
            links[remote] = link;
        } catch (IOException e) {
            log.warn("cannot open a VXLAN socket to {} ({}); sending from the receiving socket", to, e.getMessage());
            closeQuietly(link);
            links[remote] = channel;
        }
        return links[remote];
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
        for (DatagramChannel link : links) {
            if (link != channel) {
                closeQuietly(link);
            }
        }
        channel.close();
    }

    private static void closeQuietly(DatagramChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                log.debug("closing a VXLAN socket: {}", e.getMessage());
            }
        }
    }
}
