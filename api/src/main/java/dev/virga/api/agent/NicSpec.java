package dev.virga.api.agent;

/**
 * A tenant NIC the server asks a host to give a VM: a QEMU stream netdev that the host's switch dials and puts
 * into segment {@code vni}, letting it send only as {@code mac}/{@code ip} and answering its DHCP with {@code ip}.
 *
 * @param index   0 for the first tenant NIC (the guest's {@code eth1}; {@code eth0} is the provider NAT NIC)
 * @param prefix  the subnet's prefix length
 * @param gateway the router DHCP announces; empty for none
 */
public record NicSpec(int index, String network, int vni, String mac, String ip, int prefix, String gateway) {
    public NicSpec {
        gateway = gateway == null ? "" : gateway;
    }
}
