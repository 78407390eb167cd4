package dev.virga.cli;

import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code virga demo}: up, the tiny image, three VMs, the table. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start Virga (virga up) if needed, build the tiny image if it is not cached, launch VMs "
                + "demo-1..demo-N from it, wait until each guest agent answers, and show them."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--count", defaultValue = "3", description = "how many VMs (default 3)") int count;
    @Option(names = "--port", defaultValue = "" + Home.DEFAULT_PORT, description = "API port when starting virga up")
    int port;
    @Option(names = "--hosts", defaultValue = "1", description = "hosts when starting virga up (see virga up --help)")
    int hosts;
    @Option(names = "--accel", defaultValue = "auto", description = "auto, tcg or kvm (when starting virga up)")
    String accel;

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 20) {
            throw new CliError("--count: " + count + " is not between 1 and 20");
        }
        if (hosts < 1 || hosts > 8) {
            throw new CliError("--hosts: " + hosts + " is not between 1 and 8");
        }
        var home = Home.resolve();
        var up = home.running();
        var url = up.isPresent() ? up.get().url()
                : UpCommand.startInBackground(home, port, accel, hosts).url();
        if (up.isPresent()) {
            int have = new VirgaClient(URI.create(url)).hosts().size();
            if (have < hosts) {
                throw new CliError("--hosts: virga up is already running with " + have + " host(s); run ./virga down "
                        + "first to start it with " + hosts);
            }
        }
        System.out.println("==> Virga is up at " + url + " (data in " + home.dir() + ")");
        var client = new VirgaClient(URI.create(url));
        System.out.println("==> Building the tiny image (cached after the first time)");
        var built = ApiOptions.await(client, client.buildImage("tiny"), "image build tiny");
        System.out.println("    tiny = " + built.result().get("fingerprint"));
        var names = IntStream.rangeClosed(1, count).mapToObj(i -> "demo-" + i).toList();
        removeOld(client, names);
        System.out.println("==> Launching " + String.join(", ", names) + " from tiny");
        var ops = new ArrayList<Operation>();
        for (var n : names) {
            ops.add(client.launch(new LaunchRequest(n, "tiny", 1, "256M", "")));
        }
        for (var op : ops) {
            var done = ApiOptions.await(client, op, "launch " + op.target());
            System.out.printf("    %s: guest agent ready, launch took %s%n", op.target(),
                    Output.seconds(((Number) done.result().get("launchMillis")).longValue()));
        }
        System.out.println();
        Output.instances(client.instances());
        System.out.println();
        System.out.println("Next:");
        System.out.println("  ./virga exec demo-1 -- uname -a       run a command in a guest");
        System.out.println("  ./virga console demo-1                serial console (detach: Ctrl-])");
        System.out.println("  ./virga stop demo-1                   ACPI power-off");
        System.out.println("  ./virga delete demo-1 --force         remove a VM and its disk");
        System.out.println("  ./virga down                          stop every VM and Virga itself");
        return 0;
    }

    private static void removeOld(VirgaClient client, java.util.List<String> names) {
        for (var n : names) {
            try {
                client.instance(n);
            } catch (ApiException e) {
                continue;
            }
            System.out.println("    removing the previous " + n);
            ApiOptions.await(client, client.delete(n, true), "delete " + n);
        }
    }
}
