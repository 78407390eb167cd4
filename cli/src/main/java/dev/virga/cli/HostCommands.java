package dev.virga.cli;

import dev.virga.api.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code virga host ...}. */
@Command(name = "host", mixinStandardHelpOptions = true, description = "Look at hosts.",
        subcommands = {HostCommands.ListHosts.class})
final class HostCommands {

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
