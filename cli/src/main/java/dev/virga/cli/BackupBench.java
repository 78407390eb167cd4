package dev.virga.cli;

import dev.virga.api.BackupRepoRequest;
import dev.virga.api.BackupRequest;
import dev.virga.api.BackupRestoreRequest;
import dev.virga.api.ExecRequest;
import dev.virga.api.LaunchRequest;
import dev.virga.api.OperationStatus;
import dev.virga.api.StateChange;
import dev.virga.client.Json;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * End-to-end backups of a real guest through the API: a 2 GiB disk with 1 GiB written in the guest (eight 128 MiB
 * files of random data), a full backup, then incremental ones after 1 %, 10 % and 50 % of that data was rewritten in
 * the guest (the start of each file), and one with nothing changed. Times are the operations' as the CLI sees them
 * (API, QEMU copy, repository); the guest keeps running throughout. Then the full backup and the last incremental
 * are each restored as a new VM ({@code backup restore ID --as NEW}: launch, stop, restore, start), timed whole and
 * per step from the operation's progress (server clock); the restore step's MB/s are given of the disk's virtual size
 * and of its data (non-zero chunks: read from the repository, written to a raw scratch file, then again by
 * {@code qemu-img convert} into the new qcow2 layer).
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Full and incremental backup of a running 2 GiB guest with 1 GiB written (1/10/50 % changed), "
                + "then restore of the full and the last incremental as new VMs.")
final class BackupBench implements Callable<Integer> {
    private static final String VM = "backup-bench";
    private static final String RESTORED = VM + "-restored";
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
            var full = backup(client, repoName, "full");
            for (int percent : new int[]{1, 10, 50}) {
                // 64 KiB blocks at the start of each 128 MiB file: percent % of the 1 GiB
                int blocks = 128 * 16 * percent / 100;
                guest(client, "for i in 1 2 3 4 5 6 7 8; do dd if=/dev/urandom of=/root/d$i bs=64k count=" + blocks
                        + " conv=notrunc 2>/dev/null; done; sync");
                backup(client, repoName, "incremental, " + percent + " % changed");
            }
            var last = backup(client, repoName, "incremental, nothing changed");
            // the original's idle guest would take CPU from the restores
            ApiOptions.await(client, client.changeState(VM, new StateChange("stop", false, 0)), "stop");
            System.out.println();
            System.out.println("| restore --as | seconds | launch + stop | restore step | start | MB/s of disk "
                    + "| data | MB/s of data |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
            restore(client, repoName, repoDir, full, "full");
            restore(client, repoName, repoDir, last, "last incremental (5th in its chain)");
        } finally {
            client.await(client.delete(VM, true), o -> { });
            if (client.instances().stream().anyMatch(i -> i.name().equals(RESTORED))) {
                client.await(client.delete(RESTORED, true), o -> { });
            }
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

    /** Returns the backup's id. */
    private static String backup(VirgaClient client, String repo, String label) {
        long t0 = System.nanoTime();
        var r = ApiOptions.await(client, client.backup(VM, new BackupRequest(repo, false)), "backup").result();
        double s = secs(t0);
        long size = num(r, "sizeBytes");
        System.out.printf(Locale.ROOT, "| %s | %.2f | %.0f | %s | %s | %s | new %d, reused %d, unchanged %d, zero %d |%n",
                label, s, size / 1e6 / s, mib(num(r, "bytesRead")), mib(num(r, "dirtyBytes")),
                mib(num(r, "bytesWritten")), num(r, "chunksNew"), num(r, "chunksReused"), num(r, "chunksUnchanged"),
                num(r, "chunksZero"));
        return (String) r.get("backup");
    }

    private static void restore(VirgaClient client, String repo, Path repoDir, String id, String label)
            throws IOException {
        var phases = new OperationPhases();
        long t0 = System.nanoTime();
        var done = client.await(client.restoreBackup(id, new BackupRestoreRequest(repo, RESTORED, false)), phases);
        double s = secs(t0);
        phases.accept(done);
        if (done.status() != OperationStatus.SUCCESS) {
            throw new CliError("restore of " + id + " failed: " + done.error());
        }
        var restore = phases.step("restoring");
        var before = phases.step("launching").map(d -> d.plus(phases.step("stopping").orElse(Duration.ZERO)));
        long size = client.backupInfo(id, repo).sizeBytes();
        long data = dataBytes(repoDir, id);
        System.out.printf(Locale.ROOT, "| %s | %.1f | %s | %s | %s | %s | %s | %s |%n", label, s, seconds(before),
                seconds(restore), seconds(phases.step("starting")), rate(size, restore), mib(data),
                rate(data, restore));
        client.await(client.delete(RESTORED, true), o -> { });
    }

    /** Bytes of the backup's non-zero chunks, from its index in the repository. */
    private static long dataBytes(Path repoDir, String id) throws IOException {
        var index = Json.mapper().readTree(repoDir.resolve("indexes").resolve(VM).resolve(id + ".json").toFile());
        long chunks = 0;
        for (var disk : index.path("chunks")) {
            for (var hash : disk) {
                chunks += hash.asText().equals("zero") ? 0 : 1;
            }
        }
        return chunks * index.path("chunkSize").asLong();
    }

    private static String seconds(Optional<Duration> d) {
        return d.map(x -> String.format(Locale.ROOT, "%.1f", x.toMillis() / 1e3)).orElse("—");
    }

    private static String rate(long bytes, Optional<Duration> d) {
        return d.filter(x -> !x.isZero()).map(x -> String.format(Locale.ROOT, "%.0f", bytes / 1e3 / x.toMillis()))
                .orElse("—");
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
