package dev.virga.cli;

import dev.virga.api.ExecRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.api.MoveRequest;
import dev.virga.api.Operation;
import dev.virga.api.Sizes;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Live moves back and forth between two hosts of the running {@code virga up --hosts 2} (or any cluster with two
 * hosts): an idle guest, then a busy one (dirtying memory and writing its disk in a loop). Per move: the whole
 * operation, QEMU's migration time and downtime, memory and disk bytes sent, and the guest's clock lag (how much
 * wall-clock time the guest lost across the move: its clock stands still while it is stopped).
 */
@Command(name = "move", mixinStandardHelpOptions = true,
        description = "Live moves of a 128 MiB guest with a 1 GiB disk between two hosts, idle and busy "
                + "(needs `virga up --hosts 2` or a cluster with at least two hosts).")
final class MoveBench implements Callable<Integer> {
    private static final String VM = "move-bench";
    @Option(names = "--moves", defaultValue = "5", description = "moves per case (default ${DEFAULT-VALUE})")
    int moves;
    @Option(names = "--written", defaultValue = "256M", description = "data written to the disk before the idle "
            + "moves (default ${DEFAULT-VALUE})")
    String written;
    @Option(names = "--downtime-ms", defaultValue = "100") long downtimeMillis;
    @Option(names = "--bandwidth", defaultValue = "1G") String bandwidth;
    @Option(names = "--url", description = "the API (default: the running `virga up`)") String url;

    private record Result(long millis, long migrationMillis, long downtimeMillis, long memoryBytes, long diskBytes,
                          long clockLagMillis) {
    }

    @Override
    public Integer call() throws Exception {
        var api = url != null ? url : Home.resolve().running().map(r -> r.url())
                .orElseThrow(() -> new CliError("start Virga first: ./virga up --hosts 2"));
        var client = new VirgaClient(URI.create(api));
        if (client.hosts().stream().filter(h -> h.state().equals("online")).count() < 2) {
            throw new CliError("a live move needs two online hosts: ./virga up --hosts 2");
        }
        ApiOptions.await(client, client.launch(new LaunchRequest(VM, "tiny", 1, "128M", "1G", "", false,
                List.of(), "", false)), "launch");
        try {
            long bytes = Sizes.parse(written);
            run(client, "dd if=/dev/urandom of=/root/data bs=1M count=" + (bytes >> 20) + " 2>/dev/null && sync");
            var idle = moves(client);
            print("idle guest, " + Sizes.format(bytes) + " written to its disk before the first move", idle);
            // busy: memory dirtied (32 MiB rewritten in a loop) and the disk written (8 MiB rewritten in a loop)
            run(client, "setsid sh -c 'while true; do dd if=/dev/urandom of=/dev/shm/m bs=1M count=32 2>/dev/null; "
                    + "done' </dev/null >/dev/null 2>&1 & setsid sh -c 'while true; do dd if=/dev/urandom "
                    + "of=/root/busy bs=1M count=8 conv=fsync 2>/dev/null; done' </dev/null >/dev/null 2>&1 &");
            Thread.sleep(2000);
            var busy = moves(client);
            print("busy guest (rewriting 32 MiB of memory and 8 MiB of disk in loops)", busy);
        } finally {
            client.await(client.delete(VM, true), o -> { });
        }
        return 0;
    }

    private List<Result> moves(VirgaClient client) throws Exception {
        var results = new ArrayList<Result>();
        long bw = Sizes.parse(bandwidth);
        for (int i = 0; i < moves; i++) {
            long before = clockOffsetMillis(client);
            Operation done = ApiOptions.await(client, client.move(VM, new MoveRequest("", false, true, downtimeMillis,
                    bw, false)), "move");
            long after = clockOffsetMillis(client);
            var r = done.result();
            results.add(new Result(num(r.get("millis")), num(r.get("migrationMillis")), num(r.get("downtimeMillis")),
                    num(r.get("memoryBytes")), num(r.get("diskBytes")), after - before));
            System.out.printf(Locale.ROOT, "  move %d: %s -> %s in %d ms, downtime %d ms, guest clock lag %d ms%n",
                    i + 1, r.get("from"), r.get("host"), num(r.get("millis")), num(r.get("downtimeMillis")),
                    after - before);
        }
        return results;
    }

    /**
     * Host wall clock minus the guest's, in ms: the guest's time (busybox {@code adjtimex}, in µs; its
     * {@code date} has no sub-second format) against the middle of the exec's round trip, the best of 5.
     */
    private long clockOffsetMillis(VirgaClient client) {
        long best = Long.MAX_VALUE;
        long offset = 0;
        for (int i = 0; i < 5; i++) {
            long t0 = System.currentTimeMillis();
            var out = run(client, "adjtimex | grep -E 'tv_(sec|usec)'");
            long t1 = System.currentTimeMillis();
            long sec = 0;
            long usec = 0;
            for (var line : out.split("\n")) {
                var parts = line.strip().split("[:\\s]+");
                // busybox prints "time.tv_sec:  1795653938" and "time.tv_usec: 561168"
                if (parts.length >= 2 && parts[0].endsWith("tv_sec")) {
                    sec = Long.parseLong(parts[1]);
                } else if (parts.length >= 2 && parts[0].endsWith("tv_usec")) {
                    usec = Long.parseLong(parts[1]);
                }
            }
            long guest = sec * 1000 + usec / 1000;
            if (t1 - t0 < best) {
                best = t1 - t0;
                offset = (t0 + t1) / 2 - guest;
            }
        }
        return offset;
    }

    private static void print(String title, List<Result> results) {
        System.out.println(title + ":");
        System.out.printf(Locale.ROOT, "  %-26s %8s %8s %8s%n", "", "median", "min", "max");
        row("move (whole operation) ms", results.stream().mapToLong(Result::millis).toArray());
        row("migration (disk+memory) ms", results.stream().mapToLong(Result::migrationMillis).toArray());
        row("downtime (QEMU) ms", results.stream().mapToLong(Result::downtimeMillis).toArray());
        row("guest clock lag ms", results.stream().mapToLong(Result::clockLagMillis).toArray());
        row("memory sent MiB", results.stream().mapToLong(r -> r.memoryBytes() >> 20).toArray());
        row("disk mirrored MiB", results.stream().mapToLong(r -> r.diskBytes() >> 20).toArray());
    }

    private static void row(String name, long[] values) {
        var sorted = values.clone();
        java.util.Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "  %-26s %8d %8d %8d%n", name, sorted[sorted.length / 2], sorted[0],
                sorted[sorted.length - 1]);
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : -1;
    }

    private static String run(VirgaClient client, String script) {
        var r = client.exec(VM, new ExecRequest(List.of("sh", "-c", script), "", 600));
        if (r.exitCode() != 0) {
            throw new CliError("guest command failed: " + script + ": "
                    + new String(Base64.getDecoder().decode(r.stderrBase64())));
        }
        return new String(Base64.getDecoder().decode(r.stdoutBase64()));
    }
}
