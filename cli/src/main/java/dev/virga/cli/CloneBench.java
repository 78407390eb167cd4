package dev.virga.cli;

import dev.virga.api.CopyRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Sizes;
import dev.virga.client.VirgaClient;
import dev.virga.qemu.img.QemuImg;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * Linked clones: (1) the disk part of a copy (a qcow2 overlay, as the agent makes it) over sparse bases of growing
 * virtual size, which should not grow with the size; (2) copies of one running VM through the API, then the host
 * disk they use against full copies.
 */
@Command(name = "clone", mixinStandardHelpOptions = true,
        description = {"(1) Time to make a linked-clone disk over sparse 1/10/100 GiB images and the bytes it adds. "
                + "(2) --copies copies of one running VM through the API (each resumes from the VM's memory): "
                + "time per copy, host disk used vs full copies."})
final class CloneBench implements Callable<Integer> {
    @Option(names = "--repeat", defaultValue = "10", description = "clones per size") int repeat;
    @Option(names = "--copies", defaultValue = "10", description = "copies of a running VM (0 to skip)") int copies;

    @Override
    public Integer call() throws Exception {
        overlays();
        if (copies > 0) {
            copiesOfARunningVm();
        }
        return 0;
    }

    private void overlays() throws IOException {
        var img = new QemuImg();
        var dir = Files.createTempDirectory(Path.of("/var/tmp"), "clone-bench");
        try {
            long first = 0;
            System.out.println("linked-clone disk (qemu-img overlay, as for a copy), median of " + repeat + ":");
            for (var size : List.of(1L, 10L, 100L)) {
                var base = dir.resolve("base-" + size + "g.qcow2");
                run(List.of("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), size + "G"));
                var times = new long[repeat];
                long bytes = 0;
                for (int i = 0; i < repeat; i++) {
                    var clone = dir.resolve("clone-" + size + "-" + i + ".qcow2");
                    long t0 = System.nanoTime();
                    img.createOverlay(base, "qcow2", clone, OptionalLong.empty());
                    times[i] = (System.nanoTime() - t0) / 1000;
                    bytes = Files.size(clone);
                }
                long median = LaunchBench.median(times);
                if (size == 1) {
                    first = median;
                }
                System.out.printf(Locale.ROOT, "  %3d GiB image: %6.1f ms, %s on disk per clone, ratio to 1 GiB %.2f%n",
                        size, median / 1000.0, Sizes.format(bytes), (double) median / first);
            }
        } finally {
            run(List.of("rm", "-rf", dir.toString()));
        }
    }

    private void copiesOfARunningVm() throws Exception {
        var home = Home.resolve();
        var up = home.running().orElseThrow(() -> new CliError("start Virga first: ./virga up"));
        var client = new VirgaClient(URI.create(up.url()));
        ApiOptions.await(client, client.launch(new LaunchRequest("clone-master", "tiny", 1, "128M", "")),
                "launch clone-master");
        var ms = new long[copies];
        var names = new ArrayList<String>();
        try {
            for (int i = 0; i < copies; i++) {
                var name = "clone-" + (i + 1);
                var op = ApiOptions.await(client, client.copy("clone-master",
                        new CopyRequest(name, i == 0 ? "" : "copy-clone-1", false)), "copy " + name);
                names.add(name);
                ms[i] = ((Number) op.result().get("launchMillis")).longValue();
            }
            long used = 0;
            for (var n : names) {
                used += du(home.dir().resolve("instances").resolve(n));
            }
            var master = home.dir().resolve("instances/clone-master");
            long full = du(master) + Files.size(Path.of(new QemuImg().info(master.resolve("disk.qcow2"), true)
                    .backingFile().orElseThrow()));
            System.out.printf(Locale.ROOT, "%d copies of a running VM (128 MiB, resumed from memory): median %d ms, "
                    + "max %d ms per copy, running in all%n", copies, LaunchBench.median(ms),
                    java.util.Arrays.stream(ms).max().orElse(0));
            System.out.printf(Locale.ROOT, "host disk used by the %d copies: %s; %d full copies would use %s "
                    + "(%.1fx more)%n", copies, Sizes.format(used), copies, Sizes.format(full * copies),
                    (double) full * copies / Math.max(1, used));
        } finally {
            for (var n : names) {
                client.await(client.delete(n, true), o -> { });
            }
            client.await(client.delete("clone-master", true), o -> { });
        }
    }

    /** Bytes a directory's files really occupy (sparse files count what is allocated). */
    private static long du(Path dir) throws IOException {
        var p = new ProcessBuilder("du", "-sB1", dir.toString()).start();
        var out = new String(p.getInputStream().readAllBytes()).split("\\s+")[0];
        return Long.parseLong(out);
    }

    private static void run(List<String> cmd) throws IOException {
        try {
            var p = new ProcessBuilder(cmd).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new CliError(String.join(" ", cmd) + " failed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
