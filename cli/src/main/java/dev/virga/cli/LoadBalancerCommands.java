package dev.virga.cli;

import dev.virga.api.LoadBalancer;
import dev.virga.api.LoadBalancerRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga lb ...}: load balancers on tenant networks. */
@Command(name = "lb", mixinStandardHelpOptions = true,
        description = "Load balancers: the virtual switch answers ARP for a VIP on a tenant network and sends each "
                + "new flow to the member whose NIC queue is shortest (or round-robin); a flow stays on its member, "
                + "a stopped member gets no new flows. Members and clients must be on one host for now.",
        subcommands = {LoadBalancerCommands.Create.class, LoadBalancerCommands.ListBalancers.class,
                LoadBalancerCommands.Info.class, LoadBalancerCommands.Delete.class})
final class LoadBalancerCommands {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a load balancer.")
    static final class Create implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "load balancer name") String name;
        @Option(names = "--network", required = true, description = "tenant network of the VIP and members")
        String network;
        @Option(names = "--vip", required = true, description = "virtual IP in the network's subnet") String vip;
        @Option(names = "--port", required = true, description = "service port (TCP unless --udp)") int port;
        @Option(names = "--udp", description = "balance UDP instead of TCP") boolean udp;
        @Option(names = "--members", required = true, split = ",", paramLabel = "VM[,VM...]",
                description = "member instances (each with a NIC on the network)") java.util.List<String> members;
        @Option(names = "--policy", defaultValue = "shortest-queue",
                description = "shortest-queue (default) or round-robin") String policy;

        @Override
        public Integer call() {
            var lb = api.client().createLoadBalancer(new LoadBalancerRequest(name, network, vip, port,
                    udp ? "udp" : "tcp", members, policy));
            System.out.println("load balancer " + lb.name() + " (" + lb.vip() + ":" + lb.port() + "/" + lb.protocol()
                    + " on " + lb.network() + ", " + lb.policy() + ") created");
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List load balancers.")
    static final class ListBalancers implements Callable<Integer> {
        @Mixin ApiOptions api;

        @Override
        public Integer call() {
            var t = new Table("NAME", "NETWORK", "VIP", "PORT", "POLICY", "MEMBERS");
            for (var lb : api.client().loadBalancers()) {
                t.row(lb.name(), lb.network(), lb.vip(), lb.port() + "/" + lb.protocol(), lb.policy(),
                        String.join(",", lb.members().stream().map(LoadBalancer.Member::instance).toList()));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "A load balancer and, per member, its host, health, queue depth, flows and bytes.")
    static final class Info implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;
        @Option(names = "--format", defaultValue = "text", description = "text or json") String format;

        @Override
        public Integer call() {
            var lb = api.client().loadBalancer(name);
            if (format.equals("json")) {
                Output.json(lb);
                return 0;
            }
            System.out.println("Name:     " + lb.name());
            System.out.println("Network:  " + lb.network());
            System.out.println("VIP:      " + lb.vip() + ":" + lb.port() + "/" + lb.protocol());
            System.out.println("Policy:   " + lb.policy());
            var t = new Table("MEMBER", "HOST", "AVAILABLE", "HEALTH", "QUEUE", "ACTIVE FLOWS", "TOTAL FLOWS",
                    "BYTES");
            for (var m : lb.members()) {
                t.row(m.instance(), m.host(), m.available() ? "yes" : "no", m.health(), String.valueOf(m.queueDepth()),
                        String.valueOf(m.activeFlows()), String.valueOf(m.totalFlows()), String.valueOf(m.bytes()));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a load balancer.")
    static final class Delete implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;

        @Override
        public Integer call() {
            api.client().deleteLoadBalancer(name);
            System.out.println("load balancer " + name + " deleted");
            return 0;
        }
    }
}
