package dev.virga.cli;

import dev.virga.api.Host;
import dev.virga.api.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code virga host ...}. */
@Command(name = "host", mixinStandardHelpOptions = true, description = "Look at and manage hosts.",
        subcommands = {HostCommands.ListHosts.class, HostCommands.Info.class, HostCommands.AddToken.class,
                HostCommands.Standby.class, HostCommands.Wake.class, HostCommands.Maintenance.class,
                HostCommands.Activate.class, HostCommands.Evacuate.class, HostCommands.Remove.class})
final class HostCommands {

    @Command(name = "add-token", mixinStandardHelpOptions = true,
            description = {"Issue a one-use token with which a new host joins: virga agent --server URL --token T.",
                    "--count N prints N tokens, one a line, for N hosts (such as simulated ones: virga agent "
                            + "--simulate --hosts N --tokens-file FILE)."})
    static final class AddToken implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--ttl", defaultValue = "3600", description = "seconds the token stays valid (default 3600)")
        long ttl;
        @Option(names = "--count", defaultValue = "1", description = "how many tokens (default 1), one a line")
        int count;

        @Override
        public Integer call() {
            var client = api.client();
            if (count < 1 || count > dev.virga.agent.sim.SimulatedHosts.Config.MAX_HOSTS) {
                throw new CliError("--count: " + count + " is not between 1 and "
                        + dev.virga.agent.sim.SimulatedHosts.Config.MAX_HOSTS);
            }
            if (count > 1) {
                for (int i = 0; i < count; i++) {
                    System.out.println(client.addJoinToken(java.time.Duration.ofSeconds(ttl)).token());
                }
                System.err.println(count + " tokens, each valid once");
                return 0;
            }
            var t = client.addJoinToken(java.time.Duration.ofSeconds(ttl));
            System.out.println(t.token());
            System.err.println("valid once, until " + t.expiresAt() + "; on the new host run:");
            System.err.println("  ./virga agent --server " + client.servers() + " --token " + t.token()
                    + " --data DIR [--name NAME] [--labels k=v,...]");
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
            description = "List hosts: state, mode, and what is allocated of their capacity (× the overcommit ratio).")
    static final class ListHosts implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--format", defaultValue = "table", description = "table or json") String format;

        @Override
        public Integer call() {
            var hosts = api.client().hosts();
            if (format.equals("json")) {
                Output.json(hosts);
                return 0;
            }
            var t = new Table("NAME", "STATE", "MODE", "VCPUS", "MEMORY", "MEM AVAIL", "VMS", "LABELS", "ACCEL", "URL");
            for (var h : hosts) {
                t.row(h.name(), h.state(), h.mode(), cpus(h), memory(h), Sizes.format(h.memoryAvailableBytes()),
                        h.instances().size(), labels(h), h.accelerator(), h.url());
            }
            t.print(System.out);
            return 0;
        }
    }

    static String cpus(Host h) {
        return h.allocatedCpus() + "/" + fmt(h.cpus() * h.cpuRatio());
    }

    static String memory(Host h) {
        return Sizes.format(h.allocatedMemoryBytes()) + "/" + Sizes.format((long) (h.memoryBytes() * h.memoryRatio()));
    }

    static String labels(Host h) {
        return h.labels().isEmpty() ? "-" : h.labels().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
    }

    private static String fmt(double d) {
        return d == Math.floor(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%.1f", d);
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "One host: capacity, allocation and actual use, labels, its VMs.")
    static final class Info implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "host name") String name;
        @Option(names = "--format", defaultValue = "text", description = "text or json") String format;

        @Override
        public Integer call() {
            var h = api.client().host(name);
            if (format.equals("json")) {
                Output.json(h);
                return 0;
            }
            System.out.println("Name:        " + h.name());
            System.out.println("State:       " + h.state() + (h.lastSeen() == null ? "" : " (last seen " + h.lastSeen()
                    + ")"));
            System.out.println("Mode:        " + h.mode());
            System.out.println("URL:         " + h.url());
            System.out.println("Arch:        " + h.arch() + ", " + h.accelerator() + " (" + h.acceleratorReason() + "), "
                    + "QEMU " + h.qemuVersion());
            System.out.println("Labels:      " + labels(h));
            System.out.println("vCPUs:       " + h.allocatedCpus() + " allocated of " + h.cpus() + " CPUs × "
                    + fmt(h.cpuRatio()) + " = " + fmt(h.cpus() * h.cpuRatio()));
            System.out.println("Memory:      " + Sizes.format(h.allocatedMemoryBytes()) + " allocated of "
                    + Sizes.format(h.memoryBytes()) + " × " + fmt(h.memoryRatio()) + "; actually available now: "
                    + Sizes.format(h.memoryAvailableBytes()));
            System.out.println("Disk:        " + Sizes.format(h.allocatedDiskBytes()) + " allocated; file system "
                    + Sizes.format(h.diskBytes()) + ", " + Sizes.format(h.diskFreeBytes()) + " free");
            System.out.println("Instances:   " + (h.instances().isEmpty() ? "-" : String.join(", ", h.instances())));
            return 0;
        }
    }

    /** Shared body of the host actions. */
    abstract static class Action implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "host name") String name;

        abstract String action();

        @Override
        public Integer call() {
            var h = api.client().hostAction(name, action());
            System.out.println("host " + h.name() + " is " + h.state() + ", mode " + h.mode());
            return 0;
        }
    }

    @Command(name = "standby", mixinStandardHelpOptions = true,
            description = "Put an empty host in standby: it takes no VMs until no active host has room; then the "
                    + "scheduler wakes it.")
    static final class Standby extends Action {
        String action() {
            return "standby";
        }
    }

    @Command(name = "wake", mixinStandardHelpOptions = true, description = "Take a host out of standby.")
    static final class Wake extends Action {
        String action() {
            return "wake";
        }
    }

    @Command(name = "maintenance", mixinStandardHelpOptions = true,
            description = "Keep a host's VMs but place nothing new on it.")
    static final class Maintenance extends Action {
        String action() {
            return "maintenance";
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true,
            description = "End maintenance: the host takes new VMs again.")
    static final class Activate extends Action {
        String action() {
            return "activate";
        }
    }

    @Command(name = "evacuate", mixinStandardHelpOptions = true,
            description = "Put a host in maintenance and move every VM off it (cold moves: stopped, copied, started "
                    + "again if they ran; live moves come later).")
    static final class Evacuate implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "host name") String name;

        @Override
        public Integer call() {
            var client = api.client();
            var done = ApiOptions.await(client, client.evacuate(name), "evacuate " + name);
            System.out.println("host " + name + " is empty; moved: " + done.result().get("moved"));
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Forget a host. Refused while VMs are on it; --force forgets an OFFLINE host with its VMs "
                    + "(a machine that is gone).")
    static final class Remove implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "host name") String name;
        @Option(names = "--force", description = "the host is offline for good: forget its VMs too") boolean force;

        @Override
        public Integer call() {
            api.client().removeHost(name, force);
            System.out.println("host " + name + " removed");
            return 0;
        }
    }
}
