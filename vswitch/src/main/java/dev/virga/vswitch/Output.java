package dev.virga.vswitch;

import java.nio.ByteBuffer;

/** Where stages put frames: a local port's output queue or a remote host over the overlay. */
interface Output {
    void toPort(Port port, ByteBuffer src, int offset, int length);

    void toRemote(int vni, int remote, ByteBuffer src, int offset, int length);
}
