package dev.virga.cli;

import dev.virga.api.LaunchRequest;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Resident memory of the `virga up` process idle and with N VMs running (QEMU's own memory shown apart). */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "RSS of `virga up` idle, then with --vms VMs running (launched together), then after they go.")
final class MemoryBench implements Callable<Integer> {
    @Option(names = "--vms", defaultValue = "10") int vms;
    @Option(names = "--memory", defaultValue = "128M", description = "memory of each VM") String memory;

    @Override
    public Integer call() throws Exception {
        if (vms < 1 || vms > 50) {
            throw new CliError("--vms: " + vms + " is not between 1 and 50");
        }
        var home = Home.resolve();
        var up = home.running().orElseThrow(() -> new CliError("start Virga first: ./virga up"));
        var client = new VirgaClient(URI.create(up.url()));
        if (!client.instances().isEmpty()) {
            throw new CliError("run this on an idle Virga (no instances); found " + client.instances().size());
        }
        System.out.printf(Locale.ROOT, "virga up (pid %d) idle:          RSS %6.1f MiB%n", up.pid(), rssMiB(up.pid()));
        var ops = new ArrayList<dev.virga.api.Operation>();
        for (int i = 1; i <= vms; i++) {
            ops.add(client.launch(new LaunchRequest("mem-" + i, "tiny", 1, memory, "")));
        }
        for (var op : ops) {
            ApiOptions.await(client, op, "launch " + op.target());
        }
        double qemu = ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                        .map(c -> c.contains("qemu-system") && c.contains(home.dir().toString())).orElse(false))
                .mapToDouble(p -> rssMiB(p.pid())).sum();
        System.out.printf(Locale.ROOT, "virga up with %2d VMs running:    RSS %6.1f MiB (the %d QEMU processes: %.1f MiB)%n",
                vms, rssMiB(up.pid()), vms, qemu);
        for (var op : ops) {
            client.await(client.delete(op.target(), true), o -> { });
        }
        System.out.printf(Locale.ROOT, "virga up after deleting them:    RSS %6.1f MiB%n", rssMiB(up.pid()));
        return 0;
    }

    static double rssMiB(long pid) {
        try {
            for (var line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }
}
