package dev.virga.cli;

import dev.virga.api.Instance;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Sizes;
import dev.virga.api.StateChange;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** The instance verbs: launch, list, info, start, stop, restart, pause, resume, delete. */
final class InstanceCommands {
    private InstanceCommands() {
    }

    @Command(name = "launch", mixinStandardHelpOptions = true,
            description = "Create a VM from an image (its disk is a linked clone) and start it.")
    static final class Launch implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "image to launch from (e.g. tiny)") String image;
        @Parameters(index = "1", description = "name of the new VM (lowercase letters, digits, '-')") String name;
        @Option(names = "--cpus", description = "virtual CPUs (default 1)") Integer cpus;
        @Option(names = "--memory", description = "memory, e.g. 256M, 1G (default 256M)") String memory;
        @Option(names = "--disk", description = "disk size, e.g. 2G (default: the image's size; can only grow)")
        String disk;
        @Option(names = "--no-wait", description = "return once the launch is accepted") boolean noWait;
        @Option(names = "--target", description = "place it on this host (still checked unless --force)")
        String target;
        @Option(names = "--force", description = "with --target: skip the capacity checks") boolean force;
        @Option(names = "--dry-run", description = "show where it would go and why; make nothing") boolean dryRun;
        @Option(names = "--constraint", paramLabel = "LABEL=VALUE",
                description = "a host label it needs (LABEL=VALUE or LABEL!=VALUE; arch and name are labels too); "
                        + "repeatable") java.util.List<String> constraints = new java.util.ArrayList<>();
        @Option(names = "--group", description = "placement group to join (virga group create)") String group;
        @Option(names = "--no-queue", description = "fail at once if no host has room, instead of waiting as "
                + "pending until one has") boolean noQueue;
        @Option(names = "--network", paramLabel = "NAME[:IP]",
                description = "attach a NIC on this tenant network (eth1, eth2, ... in order; eth0 stays the "
                        + "provider NIC with NAT), with an address from its pool or IP; repeatable")
        java.util.List<String> networks = new java.util.ArrayList<>();
        @Option(names = "--publish", paramLabel = "[ADDR:]HOSTPORT:GUESTPORT[/udp]",
                description = "forward a port of the VM's host to a port of the guest through the provider NIC "
                        + "(eth0, QEMU's user-mode NAT), e.g. 8080:80 (every address of the host) or "
                        + "127.0.0.1:2222:22; TCP unless /udp; repeatable. The scheduler keeps two VMs publishing "
                        + "one host port off one host")
        java.util.List<String> publish = new java.util.ArrayList<>();
        @Option(names = "--cold", description = "boot, even if the image has a warm state this VM could resume "
                + "(virga image warm)") boolean cold;

        @Override
        public Integer call() {
            var client = api.client();
            var request = new LaunchRequest(name, image, cpus, memory, disk, target == null ? "" : target, force,
                    constraints, group == null ? "" : group, noQueue, networks, publish, cold);
            if (dryRun) {
                var preview = client.dryRun(request);
                var t = new Table("HOST", "VERDICT");
                for (var v : preview.hosts()) {
                    t.row(v.host(), v.fits() ? String.format(java.util.Locale.ROOT, "fits, score %.3f", v.score())
                            + (v.reason().isEmpty() ? "" : " (" + v.reason() + ")") : "rejected: " + v.reason());
                }
                t.print(System.out);
                System.out.println(preview.host().isEmpty() ? "no host can take " + name
                        : name + " would go to " + preview.host());
                return preview.host().isEmpty() ? 1 : 0;
            }
            var op = client.launch(request);
            if (noWait) {
                System.out.println("launching " + name + ": operation " + op.id());
                return 0;
            }
            var done = ApiOptions.await(client, op, "launch " + name);
            var i = client.instance(name);
            var boot = String.valueOf(done.result().getOrDefault("boot", ""));
            var reason = String.valueOf(done.result().getOrDefault("bootReason", ""));
            System.out.printf("%s is running on %s (%s) — launched in %s%s, guest agent ready%n", i.name(), i.host(),
                    i.accelerator(), Output.seconds(((Number) done.result().getOrDefault("launchMillis", 0)).longValue()),
                    boot.equals("warm") ? " from the warm state" : boot.equals("cold") ? ", booted"
                            + (reason.isEmpty() ? "" : " (" + reason + ")") : "");
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List VMs.")
    static final class ListInstances implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--format", description = "table or json", defaultValue = "table") String format;

        @Override
        public Integer call() {
            var list = api.client().instances();
            if (format.equals("json")) {
                Output.json(list);
            } else if (format.equals("table")) {
                Output.instances(list);
            } else {
                throw new CliError("--format: '" + format + "' is not table or json");
            }
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show one VM.")
    static final class Info implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;
        @Option(names = "--format", description = "text or json", defaultValue = "text") String format;

        @Override
        public Integer call() {
            var i = api.client().instance(name);
            if (format.equals("json")) {
                Output.json(i);
                return 0;
            }
            print(i);
            return 0;
        }

        private static void print(Instance i) {
            System.out.println("Name:        " + i.name());
            System.out.println("State:       " + Output.state(i) + (i.reason().isEmpty() ? "" : " (" + i.reason() + ")"));
            System.out.println("Image:       " + i.image());
            System.out.println("Host:        " + (i.host().isEmpty() ? "-" : i.host()));
            System.out.println("CPUs:        " + i.cpus());
            System.out.println("Memory:      " + Sizes.format(i.memoryBytes()));
            System.out.println("Disk:        " + Sizes.format(i.diskBytes()));
            System.out.println("Accelerator: " + i.accelerator());
            System.out.println("Launched in: " + (i.launchMillis() == 0 ? "-" : Output.seconds(i.launchMillis())));
            System.out.println("Created:     " + i.createdAt());
            for (var nic : i.nics()) {
                System.out.println("NIC eth" + (nic.index() + 1) + ":    " + nic.network() + "  " + nic.mac() + "  "
                        + nic.ip());
            }
            for (var p : i.published()) {
                System.out.println("Published:   " + p + " (host " + (i.host().isEmpty() ? "-" : i.host()) + ")");
            }
            var g = i.guest();
            System.out.println("Guest agent: " + (g.agentReady() ? "qemu-ga " + g.agentVersion() : "not answering"));
            if (g.agentReady()) {
                System.out.println("Guest OS:    " + g.os() + " (kernel " + g.kernel() + ")");
                System.out.println("Hostname:    " + g.hostname());
                System.out.println("Guest clock: " + (g.clockOffsetMillis() >= 0 ? "+" : "") + g.clockOffsetMillis()
                        + " ms from the host's (when the guest agent became ready)");
            }
        }
    }

    /** Shared body of the simple state verbs. */
    abstract static class StateVerb implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String name;

        abstract StateChange change();

        abstract String done();

        @Override
        public Integer call() {
            var client = api.client();
            var change = change();
            ApiOptions.await(client, client.changeState(name, change), change.action() + " " + name);
            System.out.println(name + " " + done());
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a stopped VM.")
    static final class Start extends StateVerb {
        StateChange change() {
            return new StateChange("start", false, 0);
        }

        String done() {
            return "is running";
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stop a VM: ask the guest (guest agent shutdown, then the ACPI button), power off after "
                    + "--timeout.")
    static final class Stop extends StateVerb {
        @Option(names = "--force", description = "power off at once") boolean force;
        @Option(names = "--timeout", description = "seconds to wait for the guest (default 30)") int timeout;

        StateChange change() {
            return new StateChange("stop", force, timeout);
        }

        String done() {
            return "is stopped";
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, description = "Stop and start a VM.")
    static final class Restart extends StateVerb {
        @Option(names = "--force", description = "power off at once instead of asking the guest") boolean force;
        @Option(names = "--timeout", description = "seconds to wait for the guest (default 30)") int timeout;

        StateChange change() {
            return new StateChange("restart", force, timeout);
        }

        String done() {
            return "is running again";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Freeze a VM's CPUs.")
    static final class Pause extends StateVerb {
        StateChange change() {
            return new StateChange("pause", false, 0);
        }

        String done() {
            return "is paused";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Let a paused VM run again.")
    static final class Resume extends StateVerb {
        StateChange change() {
            return new StateChange("resume", false, 0);
        }

        String done() {
            return "is running";
        }
    }

    @Command(name = "delete", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Delete a VM and its disk.")
    static final class Delete implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String name;
        @Option(names = "--force", description = "delete even if running (powers it off)") boolean force;

        @Override
        public Integer call() {
            var client = api.client();
            ApiOptions.await(client, client.delete(name, force), "delete " + name);
            System.out.println(name + " deleted");
            return 0;
        }
    }
}
