package dev.virga.agent.sim;

import dev.virga.api.Sizes;
import dev.virga.api.agent.HostImage;

/**
 * The only image simulated hosts hold: what {@code image build tiny} answers, without building anything. Its
 * fingerprint is its own (not the real tiny image's, which depends on the Debian packages resolved at build time),
 * so a control plane with real and simulated hosts never sends a real launch to a simulated host or back.
 */
final class SimulatedImage {
    static final HostImage TINY = new HostImage(
            "5e" + "0".repeat(60) + "01", "tiny", "qcow2", 256 * Sizes.MIB, 9 * Sizes.MIB,
            "simulated (no disk)", true);

    private SimulatedImage() {
    }
}
