/**
 * Client of the QEMU guest-agent protocol (the {@code org.qemu.guest_agent.0} virtio-serial port
 * that QEMU exposes on the host as a unix socket).
 *
 * <p>{@link dev.virga.qemu.ga.GuestAgentClient} owns one connection. The protocol is strictly
 * one request, one reply, with no ids, so the client serialises calls and re-synchronises with
 * {@code guest-sync-delimited} whenever it may have lost track (on connect, after a timeout,
 * after {@code guest-shutdown}, which never answers on success).
 */
package dev.virga.qemu.ga;
