package dev.virga.vswitch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Plays QEMU's {@code -netdev stream,server=on,addr.type=unix}: listens on a unix socket, accepts the
 * switch, and exchanges length-prefixed frames with it. A "slow" NIC does not read until told to.
 */
final class FakeQemu implements AutoCloseable {
    static final long WAIT_SECONDS = 10;

    final Path socket;
    private ServerSocketChannel server;
    private volatile SocketChannel connection;
    private final BlockingQueue<SocketChannel> accepted = new LinkedBlockingQueue<>();
    private final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
    private volatile boolean reading;

    FakeQemu(Path socket) {
        this(socket, true);
    }

    FakeQemu(Path socket, boolean reading) {
        this.socket = socket;
        this.reading = reading;
        listen();
    }

    /** Starts listening (again) at the socket path, as a restarted QEMU would. */
    void listen() {
        try {
            Files.deleteIfExists(socket);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ServerSocketChannel s = server;
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    SocketChannel c = s.accept();
                    connection = c;
                    accepted.add(c);
                    if (reading) {
                        startReader(c);
                    }
                }
            } catch (IOException e) {
                // server closed
            }
        });
    }

    private void startReader(SocketChannel c) {
        Thread.ofVirtual().start(() -> {
            ByteBuffer header = ByteBuffer.allocate(4);
            try {
                while (true) {
                    header.clear();
                    readFully(c, header);
                    ByteBuffer frame = ByteBuffer.allocate(header.getInt(0));
                    readFully(c, frame);
                    frames.add(frame.array());
                }
            } catch (IOException e) {
                // connection closed
            }
        });
    }

    private static void readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                throw new IOException("closed");
            }
        }
    }

    /** Waits until the switch has dialed in (again). */
    FakeQemu awaitConnection() {
        try {
            SocketChannel c = accepted.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (c == null) {
                fail("the switch did not connect to " + socket);
            }
            return this;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A slow guest that finally reads. */
    void startReading() {
        reading = true;
        startReader(connection);
    }

    void send(byte[] frame) {
        ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
        try {
            synchronized (this) {
                while (b.hasRemaining()) {
                    connection.write(b);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next frame the switch sent to this NIC (fails after a generous wait). */
    byte[] receive() {
        try {
            byte[] frame = frames.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (frame == null) {
                fail("no frame arrived at " + socket);
            }
            return frame;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next frame the switch sent to this NIC within {@code millis}, or null. */
    byte[] poll(long millis) {
        try {
            return frames.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Asserts the next frame is exactly {@code expected}: a frame that should not have come would be before it. */
    void assertNext(byte[] expected) {
        assertThat(receive()).as("next frame at " + socket).isEqualTo(expected);
    }

    boolean nothingReceived() {
        return frames.isEmpty();
    }

    /** Closes the connection and the listening socket, as a QEMU that exits. */
    void stop() {
        try {
            server.close();
            if (connection != null) {
                connection.close();
            }
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
