package dev.virga.cli;

import dev.virga.api.BackupRepoRequest;
import dev.virga.api.BackupRequest;
import dev.virga.api.ExecRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * End-to-end backups of a real guest through the API: a 2 GiB disk with 1 GiB written in the guest (eight 128 MiB
 * files of random data), a full backup, then incremental ones after 1 %, 10 % and 50 % of that data was rewritten in
 * the guest (the start of each file), and one with nothing changed. Times are the operations' as the CLI sees them
 * (API, QEMU copy, repository); the guest keeps running throughout.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Full and incremental backup of a running 2 GiB guest with 1 GiB written (1/10/50 % changed).")
final class BackupBench implements Callable<Integer> {
    private static final String VM = "backup-bench";
    @Option(names = "--dir", description = "repository directory (default: a new one under /var/tmp)") Path dir;

    @Override
    public Integer call() throws Exception {
        var up = Home.resolve().running().orElseThrow(() -> new CliError("start Virga first: ./virga up"));
        var client = new VirgaClient(URI.create(up.url()));
        var repoDir = dir != null ? dir : Files.createTempDirectory(Path.of("/var/tmp"), "virga-backup-bench");
        var repoName = "bench-" + ProcessHandle.current().pid();
        client.addBackupRepo(new BackupRepoRequest(repoName, repoDir.toString()));
        ApiOptions.await(client, client.launch(new LaunchRequest(VM, "tiny", 1, "256M", "2G")), "launch");
        try {
            waitForGrownFilesystem(client);
            long t0 = System.nanoTime();
            guest(client, "for i in 1 2 3 4 5 6 7 8; do dd if=/dev/urandom of=/root/d$i bs=1M count=128 2>/dev/null; "
                    + "done; sync");
            System.out.printf(Locale.ROOT, "wrote 1 GiB of random data in the guest in %.1f s (accelerator %s)%n",
                    secs(t0), client.instance(VM).accelerator());
            System.out.println("| step | seconds | MB/s of disk | read | QEMU copied | written | chunks |");
            System.out.println("|---|---:|---:|---:|---:|---:|---|");
            backup(client, repoName, "full");
            for (int percent : new int[]{1, 10, 50}) {
                // 64 KiB blocks at the start of each 128 MiB file: percent % of the 1 GiB
                int blocks = 128 * 16 * percent / 100;
                guest(client, "for i in 1 2 3 4 5 6 7 8; do dd if=/dev/urandom of=/root/d$i bs=64k count=" + blocks
                        + " conv=notrunc 2>/dev/null; done; sync");
                backup(client, repoName, "incremental, " + percent + " % changed");
            }
            backup(client, repoName, "incremental, nothing changed");
        } finally {
            client.await(client.delete(VM, true), o -> { });
            for (var b : client.backups(VM, repoName)) {
                client.deleteBackup(b.id(), repoName);
            }
            client.removeBackupRepo(repoName);
            if (dir == null) {
                try (var walk = Files.walk(repoDir)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        return 0;
    }

    private static void backup(VirgaClient client, String repo, String label) {
        long t0 = System.nanoTime();
        var r = ApiOptions.await(client, client.backup(VM, new BackupRequest(repo, false)), "backup").result();
        double s = secs(t0);
        long size = num(r, "sizeBytes");
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.0f | %s | %s | %s | new %d, reused %d, unchanged %d, zero %d |%n",
                label, s, size / 1e6 / s, mib(num(r, "bytesRead")), mib(num(r, "dirtyBytes")),
                mib(num(r, "bytesWritten")), num(r, "chunksNew"), num(r, "chunksReused"), num(r, "chunksUnchanged"),
                num(r, "chunksZero"));
    }

    private static long num(Map<String, Object> r, String key) {
        return ((Number) r.get(key)).longValue();
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The guest grows its root filesystem to the disk at boot, in the background. */
    private static void waitForGrownFilesystem(VirgaClient client) throws InterruptedException {
        for (int i = 0; i < 120; i++) {
            var out = guest(client, "df -k / | tail -1").trim().split("\\s+");
            if (out.length > 1 && Long.parseLong(out[1]) > 1_800_000) {
                return;
            }
            Thread.sleep(1000);
        }
        throw new CliError("the guest's root filesystem did not grow to the 2 GiB disk");
    }

    private static String guest(VirgaClient client, String script) {
        var r = client.exec(VM, new ExecRequest(List.of("sh", "-c", script), "", 1800));
        if (r.exitCode() != 0) {
            throw new CliError("guest command failed: " + script + ": "
                    + new String(Base64.getDecoder().decode(r.stderrBase64())));
        }
        return new String(Base64.getDecoder().decode(r.stdoutBase64()));
    }
}
