package dev.virga.vswitch;

import java.net.InetSocketAddress;

/** The VXLAN side: where it listens, frames received and sent, and what was refused or lost. */
public record OverlayStats(InetSocketAddress address, long rxFrames, long txFrames, long rxDropped, long txDropped) {
}
