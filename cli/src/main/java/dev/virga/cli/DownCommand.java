package dev.virga.cli;

import dev.virga.api.Instance;
import dev.virga.api.InstanceState;
import dev.virga.api.StateChange;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code virga down}: stops the VMs (unless --keep-vms) and the all-in-one. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = {"Stop every running VM (ACPI, then power off after --timeout) and stop `virga up`.",
                "With --keep-vms the VMs keep running; the next `virga up` adopts them. Data stays in $VIRGA_HOME."})
final class DownCommand implements Callable<Integer> {
    @Option(names = "--keep-vms", description = "leave VMs running") boolean keepVms;
    @Option(names = "--timeout", defaultValue = "20", description = "seconds each guest gets to power off")
    int timeout;

    @Override
    public Integer call() throws Exception {
        var home = Home.resolve();
        var up = home.running();
        if (up.isEmpty()) {
            System.out.println("Virga is not running for " + home.dir());
            return 0;
        }
        if (!keepVms) {
            stopAll(new VirgaClient(URI.create(up.get().url())));
        }
        var process = ProcessHandle.of(up.get().pid()).orElseThrow();
        process.destroy();
        try {
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
        }
        System.out.println("Virga is down (data kept in " + home.dir() + ")");
        return 0;
    }

    private void stopAll(VirgaClient client) {
        var running = client.instances().stream()
                .filter(i -> i.state() == InstanceState.RUNNING || i.state() == InstanceState.PAUSED)
                .map(Instance::name).toList();
        var ops = running.stream().map(n -> client.changeState(n, new StateChange("stop", false, timeout))).toList();
        for (var op : ops) {
            var done = client.await(op, o -> { });
            System.out.println("stopped " + op.target() + (done.error().isEmpty() ? "" : ": " + done.error()));
        }
    }
}
