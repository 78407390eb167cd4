package dev.virga.vswitch;

/**
 * One step of the per-packet pipeline. Runs on the switch's loop thread, for every packet, so it
 * must not block and should not allocate. The packet's bytes are valid only during the call: a stage
 * that keeps a packet (hold, copy, divert) copies it and returns {@link Verdict#CONSUMED} or
 * {@link Verdict#CONTINUE}.
 */
@FunctionalInterface
public interface Stage {
    Verdict process(Packet packet);
}
