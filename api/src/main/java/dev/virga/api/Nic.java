package dev.virga.api;

/**
 * One tenant-network NIC of an instance.
 *
 * @param index    its place among the instance's tenant NICs (0 is the first {@code --network}); in the guest it is
 *                 {@code eth(index + 1)}, {@code eth0} being the provider (NAT) NIC
 * @param mac      its MAC address, fixed for the instance's life
 * @param ip       the address the network's DHCP gives it
 */
public record Nic(String instance, int index, String network, String mac, String ip) {
}
