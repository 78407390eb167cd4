/**
 * The host's virtual switch: one event-loop thread that dials every VM NIC's QEMU
 * {@code -netdev stream} unix socket, runs each frame through an ordered pipeline of stages
 * (anti-spoofing, ARP/DHCP responders, load balancer, learning/forwarding, output queue) inside
 * the L2 segment of its network (VNI), and carries frames between hosts as VXLAN.
 *
 * <p>The agent drives it through {@link dev.virga.vswitch.VirtualSwitch}; everything else is
 * package-private. New per-packet features plug in as a {@link dev.virga.vswitch.Stage} at a
 * {@link dev.virga.vswitch.StagePoint}.
 */
package dev.virga.vswitch;
