package dev.virga.cli;

import dev.virga.api.ExecRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.api.NetworkRequest;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * Guest networking under this machine's accelerator: ping RTT and TCP throughput between two guests on one tenant
 * network (through the host's virtual switch), next to the same from a guest to the host over QEMU's user-mode
 * network (the provider NIC), and guest to guest through both guests' user-mode networks (a published port), for
 * context.
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Ping RTT and TCP throughput guest to guest through the virtual switch, guest to host "
                + "through QEMU's user-mode network, and guest to guest through both guests' user-mode networks "
                + "(a published port), on the running `virga up`.")
final class NetworkBench implements Callable<Integer> {
    private static final String NET = "bench-net";
    private static final Pattern RTT = Pattern.compile("min/avg/max = ([0-9.]+)/([0-9.]+)/([0-9.]+) ms");
    @Option(names = "--mib", defaultValue = "8", description = "MiB per transfer (default ${DEFAULT-VALUE})") int mib;
    @Option(names = "--pings", defaultValue = "20") int pings;
    @Option(names = "--url", description = "the API (default: the running `virga up`)") String url;

    @Override
    public Integer call() throws Exception {
        var api = url != null ? url : Home.resolve().running().map(r -> r.url())
                .orElseThrow(() -> new CliError("start Virga first: ./virga up"));
        var client = new VirgaClient(URI.create(api));
        client.createNetwork(new NetworkRequest(NET, "10.99.0.0/24", "", "bench"));
        try {
            int published;
            try (var free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                published = free.getLocalPort();
            }
            for (var vm : List.of("nb1", "nb2")) {
                // nb2's port 5002 is published on the host: nb1 reaches it through both user-mode networks
                ApiOptions.await(client, client.launch(new LaunchRequest(vm, "tiny", 1, "256M", "", "", false,
                        List.of(), "", false, List.of(NET), vm.equals("nb2")
                        ? List.of("127.0.0.1:" + published + ":5002") : List.of())), "launch " + vm);
            }
            var ip2 = client.instance("nb2").nics().getFirst().ip();
            waitFor(client, "nb1", "ping -c 1 -W 2 " + ip2);
            run(client, "nb1", "dd if=/dev/urandom of=/tmp/data bs=1M count=" + mib + " 2>/dev/null");

            var switchRtt = rtt(run(client, "nb1", "ping -c " + pings + " -i 0.2 " + ip2));
            run(client, "nb2", "(sleep 600 | nc -l -p 5001 > /dev/null) > /dev/null 2>&1 < /dev/null &");
            Thread.sleep(500);
            double switchSeconds = seconds(run(client, "nb1", "a=$(cut -d' ' -f1 /proc/uptime); "
                    + "nc " + ip2 + " 5001 < /tmp/data; b=$(cut -d' ' -f1 /proc/uptime); echo $a $b"));

            // the provider NIC (eth0, QEMU's user-mode NAT, configured by DHCP in the guest): guest 10.0.2.15,
            // host 10.0.2.2, which is this machine's loopback
            waitFor(client, "nb1", "ip -4 addr show dev eth0 | grep -q 'inet 10.0.2.15/'");
            var userRtt = rtt(run(client, "nb1", "ping -c " + pings + " -i 0.2 10.0.2.2"));
            double userSeconds;
            try (var sink = new ServerSocket()) {
                sink.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                var reader = Thread.ofVirtual().start(() -> drain(sink));
                userSeconds = seconds(run(client, "nb1", "a=$(cut -d' ' -f1 /proc/uptime); "
                        + "nc 10.0.2.2 " + sink.getLocalPort() + " < /tmp/data; b=$(cut -d' ' -f1 /proc/uptime); "
                        + "echo $a $b"));
                reader.join(5000);
            }
            run(client, "nb2", "(sleep 600 | nc -l -p 5002 > /dev/null) > /dev/null 2>&1 < /dev/null &");
            waitFor(client, "nb2", "ip -4 addr show dev eth0 | grep -q 'inet 10.0.2.15/'");
            Thread.sleep(500);
            double userGuestSeconds = seconds(run(client, "nb1", "a=$(cut -d' ' -f1 /proc/uptime); "
                    + "nc 10.0.2.2 " + published + " < /tmp/data; b=$(cut -d' ' -f1 /proc/uptime); echo $a $b"));
            System.out.printf(Locale.ROOT, "%-44s %18s %14s%n", "", "ping RTT avg (min-max)", "TCP " + mib + " MiB");
            System.out.printf(Locale.ROOT, "%-44s %8.2f ms (%.2f-%.2f) %8.2f MiB/s%n",
                    "guest -> guest, tenant network (virtual switch)", switchRtt[1], switchRtt[0], switchRtt[2],
                    mib / switchSeconds);
            System.out.printf(Locale.ROOT, "%-44s %8.2f ms (%.2f-%.2f) %8.2f MiB/s%n",
                    "guest -> host, QEMU user-mode network", userRtt[1], userRtt[0], userRtt[2], mib / userSeconds);
            System.out.printf(Locale.ROOT, "%-44s %18s %8.2f MiB/s%n",
                    "guest -> guest, user-mode + published port", "(no ICMP)", mib / userGuestSeconds);
        } finally {
            for (var vm : List.of("nb1", "nb2")) {
                try {
                    client.await(client.delete(vm, true), o -> { });
                } catch (RuntimeException e) {
                    // not launched
                }
            }
            client.deleteNetwork(NET);
        }
        return 0;
    }

    private static void drain(ServerSocket sink) {
        try (var s = sink.accept(); InputStream in = s.getInputStream()) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (java.io.IOException e) {
            // the guest's side decides when it is over
        }
    }

    private static double[] rtt(String out) {
        var m = RTT.matcher(out);
        if (!m.find()) {
            throw new CliError("no round-trip figures in: " + out);
        }
        return new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)),
                Double.parseDouble(m.group(3))};
    }

    /** Seconds between the two /proc/uptime readings the guest printed. */
    private static double seconds(String out) {
        var parts = out.strip().split("\\s+");
        return Math.max(0.01, Double.parseDouble(parts[1]) - Double.parseDouble(parts[0]));
    }

    private static void waitFor(VirgaClient client, String vm, String script) throws InterruptedException {
        for (int i = 0; i < 60; i++) {
            var r = client.exec(vm, new ExecRequest(List.of("sh", "-c", script), "", 30));
            if (r.exitCode() == 0) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new CliError(vm + ": `" + script + "` never succeeded (no address by DHCP?)");
    }

    private static String run(VirgaClient client, String vm, String script) {
        var r = client.exec(vm, new ExecRequest(List.of("sh", "-c", script), "", 600));
        if (r.exitCode() != 0) {
            throw new CliError(vm + ": guest command failed: " + script + ": "
                    + new String(Base64.getDecoder().decode(r.stderrBase64())));
        }
        return new String(Base64.getDecoder().decode(r.stdoutBase64()));
    }
}
