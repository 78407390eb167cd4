package dev.virga.cli;

import dev.virga.api.Network;
import dev.virga.api.NetworkRequest;
import dev.virga.api.Nic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga network ...}: tenant networks. */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Tenant networks: one L2 segment each (a VXLAN segment on the hosts' virtual switches), with "
                + "addresses given by the server and handed to guests by the switch's DHCP. Attach VMs with "
                + "virga launch ... --network NAME[:IP]; they keep their provider NIC (NAT) as eth0.",
        subcommands = {NetworkCommands.Create.class, NetworkCommands.ListNetworks.class, NetworkCommands.Info.class,
                NetworkCommands.Delete.class})
final class NetworkCommands {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a tenant network.")
    static final class Create implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "network name") String name;
        @Option(names = "--subnet", required = true, paramLabel = "CIDR",
                description = "IPv4 subnet, e.g. 10.20.0.0/24 (prefix /8../30); must not overlap another network "
                        + "of the same project") String subnet;
        @Option(names = "--gateway", paramLabel = "ADDR",
                description = "router address announced by DHCP (inside the subnet); default: none") String gateway;
        @Option(names = {"--project", "--tenant"}, paramLabel = "P",
                description = "owning project (default: default); subnets may overlap across projects")
        String project;

        @Override
        public Integer call() {
            var n = api.client().createNetwork(new NetworkRequest(name, subnet, gateway, project));
            System.out.println("network " + n.name() + " (" + n.subnet() + ", VNI " + n.vni() + ", project "
                    + n.project() + ") created");
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List tenant networks.")
    static final class ListNetworks implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--format", defaultValue = "table", description = "table or json") String format;

        @Override
        public Integer call() {
            var networks = api.client().networks();
            if (format.equals("json")) {
                Output.json(networks);
                return 0;
            }
            var t = new Table("NAME", "PROJECT", "SUBNET", "GATEWAY", "VNI", "NICS");
            for (var n : networks) {
                t.row(n.name(), n.project(), n.subnet(), n.gateway().isEmpty() ? "-" : n.gateway(),
                        String.valueOf(n.vni()), String.valueOf(n.nics().size()));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "One tenant network and its NICs.")
    static final class Info implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;
        @Option(names = "--format", defaultValue = "text", description = "text or json") String format;

        @Override
        public Integer call() {
            Network n = api.client().network(name);
            if (format.equals("json")) {
                Output.json(n);
                return 0;
            }
            System.out.println("Name:     " + n.name());
            System.out.println("Project:  " + n.project());
            System.out.println("Subnet:   " + n.subnet());
            System.out.println("Gateway:  " + (n.gateway().isEmpty() ? "-" : n.gateway()));
            System.out.println("VNI:      " + n.vni());
            System.out.println("Created:  " + n.createdAt());
            var t = new Table("INSTANCE", "NIC", "MAC", "IP");
            for (Nic nic : n.nics()) {
                t.row(nic.instance(), "eth" + (nic.index() + 1), nic.mac(), nic.ip());
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a tenant network (refused while instances have NICs on it).")
    static final class Delete implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;

        @Override
        public Integer call() {
            api.client().deleteNetwork(name);
            System.out.println("network " + name + " deleted");
            return 0;
        }
    }
}
