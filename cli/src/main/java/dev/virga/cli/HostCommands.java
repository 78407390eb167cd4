package dev.virga.cli;

import dev.virga.api.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code virga host ...}. */
@Command(name = "host", mixinStandardHelpOptions = true, description = "Look at hosts.",
        subcommands = {HostCommands.ListHosts.class, HostCommands.AddToken.class})
final class HostCommands {

    @Command(name = "add-token", mixinStandardHelpOptions = true,
            description = "Issue a one-use token with which a new host joins: virga agent --server URL --token T.")
    static final class AddToken implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--ttl", defaultValue = "3600", description = "seconds the token stays valid (default 3600)")
        long ttl;

        @Override
        public Integer call() {
            var client = api.client();
            var t = client.addJoinToken(java.time.Duration.ofSeconds(ttl));
            System.out.println(t.token());
            System.err.println("valid once, until " + t.expiresAt() + "; on the new host run:");
            System.err.println("  ./virga agent --server " + client.servers() + " --token " + t.token()
                    + " --data DIR [--name NAME]");
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List hosts.")
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
            var t = new Table("NAME", "STATE", "CPUS", "MEMORY", "ARCH", "ACCEL", "QEMU", "URL");
            for (var h : hosts) {
                t.row(h.name(), h.state(), h.cpus(), Sizes.format(h.memoryBytes()), h.arch(),
                        h.accelerator() + " (" + h.acceleratorReason() + ")", h.qemuVersion(), h.url());
            }
            t.print(System.out);
            return 0;
        }
    }
}
