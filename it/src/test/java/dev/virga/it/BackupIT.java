package dev.virga.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virga.api.Backup;
import dev.virga.api.BackupRequest;
import dev.virga.api.InstanceState;
import dev.virga.api.OperationStatus;
import dev.virga.api.StateChange;
import dev.virga.client.ApiException;
import dev.virga.client.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** Backups of real guests: each restore has exactly its point in time; damage, kills and bad input. */
class BackupIT {
    private static final long CHUNK = 4L << 20;
    @TempDir
    static Path home;
    static VirgaUp virga;
    Path repo;

    /** One Virga for the class (a new one per test cost ~10 s); each test gets fresh instances. */
    @BeforeAll
    static void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
    }

    @AfterAll
    static void down() throws Exception {
        virga.close();
    }

    @BeforeEach
    void fresh() throws Exception {
        virga.launch("vm");
        // a repository of its own per test: what the other tests backed up of their "vm" is not this one's
        repo = home.resolve("backups/" + java.util.UUID.randomUUID());
        var add = virga.cli("backup", "repo", "add", "main", repo.toString());
        assertThat(add.exit()).as(add.toString()).isZero();
    }

    @AfterEach
    void clean() throws Exception {
        virga.reset();
        virga.client().removeBackupRepo("main");
    }

    @Test
    void fullThenIncrementalsEachRestoreExactlyTheirPointInTime() throws Exception {
        write("/root/a", 3);
        var sumsAtFull = sums("vm", "/root/a");
        var full = virga.cli("backup", "create", "vm");
        assertThat(full.exit()).as(full.toString()).isZero();
        assertThat(full.out()).contains("full (first backup of this VM)").contains(", quiesced");
        var b1 = only(virga.client().backups("vm", ""));
        assertThat(b1.full()).isTrue();
        assertThat(b1.quiesced()).isTrue();

        write("/root/b", 2);
        var sumsAtIncremental = sums("vm", "/root/a", "/root/b");
        var inc = virga.cli("backup", "create", "vm");
        assertThat(inc.exit()).as(inc.toString()).isZero();
        assertThat(inc.out()).contains("incremental on " + b1.id());
        var b2 = last(virga.client().backups("vm", ""));
        assertThat(b2.parent()).isEqualTo(b1.id());
        // only the chunks with written clusters are read: a few MiB of a disk of hundreds
        assertThat(b2.bytesRead()).isLessThan(b2.sizeBytes() / 8);
        assertThat(b2.chunksUnchanged()).isGreaterThan(b2.sizeBytes() / CHUNK / 2);
        System.out.printf("running incremental after writing 2 MiB: read %d of %d bytes, chunks new %d, "
                        + "unchanged %d%n", b2.bytesRead(), b2.sizeBytes(), b2.chunksNew(), b2.chunksUnchanged());

        // the bitmap survives a VM stop: the stopped VM's backup is incremental, and a second one reads nothing
        stop("vm");
        var expectedCold = guestDisk("vm", "cold");
        var cold = virga.cli("backup", "create", "vm");
        assertThat(cold.exit()).as(cold.toString()).isZero();
        assertThat(cold.out()).contains("incremental on " + b2.id());
        var b3 = last(virga.client().backups("vm", ""));
        var unchanged = virga.cli("backup", "create", "vm");
        assertThat(unchanged.exit()).as(unchanged.toString()).isZero();
        var b4 = last(virga.client().backups("vm", ""));
        assertThat(b4.parent()).isEqualTo(b3.id());
        assertThat(b4.bytesRead()).isZero();
        assertThat(b4.chunksNew()).isZero();
        assertThat(b4.bytesWritten()).isZero();

        // each backup restored as a new VM has exactly the files of its point in time
        restoreAs(b1.id(), "r1");
        assertThat(sums("r1", "/root/a")).isEqualTo(sumsAtFull);
        assertThat(virga.cli("exec", "r1", "--", "test", "-e", "/root/b").exit()).isEqualTo(1);
        virga.client().await(virga.client().delete("r1", true), o -> { });
        restoreAs(b2.id(), "r2");
        assertThat(sums("r2", "/root/a", "/root/b")).isEqualTo(sumsAtIncremental);
        virga.client().await(virga.client().delete("r2", true), o -> { });

        // onto the VM itself: it was changed after the full backup; the restore brings back that point in time
        start("vm");
        write("/root/a", 1);
        var refused = virga.cli("backup", "restore", b1.id());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("'vm' is running").contains("--force");
        var onto = virga.cli("backup", "restore", b1.id(), "--force");
        assertThat(onto.exit()).as(onto.toString()).isZero();
        assertThat(sums("vm", "/root/a")).isEqualTo(sumsAtFull);
        // a new top layer: the next backup is full and says why
        var after = virga.cli("backup", "create", "vm");
        assertThat(after.exit()).as(after.toString()).isZero();
        assertThat(after.out()).contains("full (the disk has a new top layer");

        // bit for bit: restored onto the stopped VM (which stays stopped), each backup of a stopped VM is exactly the
        // disk as it was then, and not the disk of the other point in time
        var b5 = last(virga.client().backups("vm", ""));
        stop("vm");
        var expectedLast = guestDisk("vm", "last");
        var offline = virga.cli("backup", "create", "vm");
        assertThat(offline.exit()).as(offline.toString()).isZero();
        var b6 = last(virga.client().backups("vm", ""));
        assertThat(offline.out()).contains("incremental on " + b5.id());
        for (var b : List.of(b3, b4)) {
            restoreOntoStopped(b.id());
            assertIdentical(activeLayer("vm"), expectedCold);
            assertDifferent(activeLayer("vm"), expectedLast);
        }
        restoreOntoStopped(b6.id());
        assertIdentical(activeLayer("vm"), expectedLast);
        assertDifferent(activeLayer("vm"), expectedCold);

        for (var b : virga.client().backups("vm", "")) {
            var v = virga.cli("backup", "verify", b.id());
            assertThat(v.exit()).as(v.toString()).isZero();
            assertThat(v.out()).contains("is intact");
        }
        assertNoScratchLeft();
    }

    @Test
    void aDamagedChunkIsFoundByVerifyAndRefusedByRestore() throws Exception {
        write("/root/a", 2);
        assertThat(virga.cli("backup", "create", "vm").exit()).isZero();
        var b = only(virga.client().backups("vm", ""));
        var hash = firstDataChunk(b.id());
        var file = repo.resolve("chunks").resolve(hash.substring(0, 2)).resolve(hash + ".zst");
        try (var f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int x = f.read();
            f.seek(f.length() / 2);
            f.write(x ^ 0x5a);
        }
        var verify = virga.cli("backup", "verify", b.id());
        assertThat(verify.exit()).isEqualTo(1);
        assertThat(verify.err()).contains("backup " + b.id() + " is damaged").contains(hash);
        var restore = virga.cli("backup", "restore", b.id(), "--as", "r1");
        assertThat(restore.exit()).isEqualTo(1);
        assertThat(restore.err()).contains(b.id()).contains(hash);
        // no VM that looks restored is left
        assertThat(virga.client().instances()).extracting(i -> i.name()).containsExactly("vm");
    }

    @Test
    void killingQemuOrTheAgentMidBackupListsNothingHalfAndTheNextBackupWorks() throws Exception {
        write("/root/a", 8);
        var client = virga.client();
        client.backup("vm", new BackupRequest("", false));
        Thread.sleep(300);
        virga.qemus().forEach(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofMinutes(2)).until(() -> client.operations().stream().allMatch(o -> o.status().done()));
        await().atMost(Duration.ofSeconds(30)).until(() -> !client.instance("vm").state().transitional()
                && client.instance("vm").state() != InstanceState.RUNNING);
        everyListedBackupVerifies();
        start("vm");
        var next = virga.cli("backup", "create", "vm");
        assertThat(next.exit()).as(next.toString()).isZero();
        assertThat(next.out()).contains("full (");
        System.out.println("after QEMU was killed: " + next.out().lines().findFirst().orElse(""));

        // QEMU killed outside a backup: its persistent bitmap is left marked in use, so the next backup is full
        virga.qemus().forEach(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(30)).until(() -> !client.instance("vm").state().transitional()
                && client.instance("vm").state() != InstanceState.RUNNING);
        start("vm");
        var afterCrash = virga.cli("backup", "create", "vm");
        assertThat(afterCrash.exit()).as(afterCrash.toString()).isZero();
        assertThat(afterCrash.out()).contains("full (the dirty bitmap").contains("killed or crashed");
        System.out.println("after a QEMU crash: " + afterCrash.out().lines().findFirst().orElse(""));

        // the agent (here: the whole all-in-one) killed during an incremental
        write("/root/b", 8);
        virga.client().backup("vm", new BackupRequest("", false));
        Thread.sleep(300);
        virga.kill9();
        virga.start();
        var again = virga.client();
        await().atMost(Duration.ofSeconds(30)).until(() -> again.instance("vm").state() == InstanceState.RUNNING);
        everyListedBackupVerifies();
        var sums = sums("vm", "/root/a", "/root/b");
        var after = virga.cli("backup", "create", "vm");
        assertThat(after.exit()).as(after.toString()).isZero();
        var latest = last(again.backups("vm", ""));
        everyListedBackupVerifies();
        restoreAs(latest.id(), "r1");
        assertThat(sums("r1", "/root/a", "/root/b")).isEqualTo(sums);
        // a writer killed while it wrote a chunk leaves that chunk's temp file in the repository (another host may be
        // writing there now, so nobody removes temp files but the garbage collection, under the exclusive lock);
        // the next prune collects them
        var prune = virga.cli("backup", "prune", "vm", "--keep-last", "100");
        assertThat(prune.exit()).as(prune.toString()).isZero();
        assertNoScratchLeft();
    }

    @Test
    void badInputIsRefusedClearly() throws Exception {
        var client = virga.client();
        assertError(() -> client.backup("vm", new BackupRequest("nope", false)), 400, "no backup repository named 'nope'");
        assertError(() -> client.backup("ghost", new BackupRequest("", false)), 404, "instance 'ghost' not found");
        assertError(() -> client.backupInfo("vm-20990101T000000Z-0000", ""), 404, "vm-20990101T000000Z-0000");
        assertError(() -> client.addBackupRepo(new dev.virga.api.BackupRepoRequest("rel", "relative/dir")), 400,
                "path");
        var readOnly = Files.createDirectories(home.resolve("ro"));
        Files.setPosixFilePermissions(readOnly, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        assertError(() -> client.addBackupRepo(new dev.virga.api.BackupRepoRequest("ro", readOnly.toString())), 400,
                "not writable");
        assertError(() -> client.addBackupRepo(new dev.virga.api.BackupRepoRequest("main", home.resolve("x")
                .toString())), 409, "already exists");
        assertThat(client.backupRepos()).extracting(r -> r.name()).containsExactly("main");
        assertThat(virga.cli("backup", "create", "vm").exit()).isZero();
        var b = only(client.backups("vm", ""));
        assertError(() -> client.restoreBackup(b.id(), new dev.virga.api.BackupRestoreRequest("", "", false)), 409,
                "'vm' is running");
        assertError(() -> client.restoreBackup(b.id(), new dev.virga.api.BackupRestoreRequest("", "vm", false)), 409,
                "already exists");
        assertThat(client.backups("vm", "")).hasSize(1);

        // retention through the CLI, then delete
        var noRule = virga.cli("backup", "prune", "vm");
        assertThat(noRule.exit()).isEqualTo(1);
        assertThat(noRule.err()).contains("name at least one rule");
        assertThat(virga.cli("backup", "create", "vm").exit()).isZero();
        var prune = virga.cli("backup", "prune", "vm", "--keep-last", "1");
        assertThat(prune.exit()).as(prune.toString()).isZero();
        assertThat(prune.out()).contains("main: remove " + b.id()).contains("garbage collection removed");
        var kept = only(client.backups("vm", ""));
        assertThat(virga.cli("backup", "verify", kept.id()).exit()).isZero();
        var delete = virga.cli("backup", "delete", kept.id());
        assertThat(delete.exit()).as(delete.toString()).isZero();
        assertThat(client.backups("vm", "")).isEmpty();
        var gone = virga.cli("backup", "info", kept.id());
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).contains("backup '" + kept.id() + "' not found");
    }

    @Test
    void aScheduledBackupRunsWhenDueAndKeepsTheLastN() throws Exception {
        var bad = virga.cli("backup", "schedule", "vm", "--every", "5s");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("every").contains("shorter than the minimum of 1m");
        var set = virga.cli("backup", "schedule", "vm", "--every", "1m", "--keep-last", "1");
        assertThat(set.exit()).as(set.toString()).isZero();
        assertThat(set.out()).contains("backups of vm every 1m, keeping the last 1");
        var client = virga.client();
        // two runs: the second backup is incremental and the prune after it removes the first
        await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(5))
                .until(() -> client.operations().stream().filter(o -> o.kind().equals("backup-prune")
                        && o.status() == OperationStatus.SUCCESS).count() >= 2);
        var left = only(client.backups("vm", ""));
        assertThat(left.full()).isFalse();
        everyListedBackupVerifies();
        assertThat(client.backupSchedules()).singleElement().satisfies(s ->
                assertThat(s.lastResult()).contains("backup operation"));
        var off = virga.cli("backup", "schedule", "vm", "--off");
        assertThat(off.exit()).as(off.toString()).isZero();
        assertThat(client.backupSchedules()).isEmpty();
    }

    // ---- helpers

    private void restoreAs(String id, String name) throws Exception {
        var r = virga.cli("backup", "restore", id, "--as", name);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(virga.client().instance(name).state()).isEqualTo(InstanceState.RUNNING);
    }

    private void restoreOntoStopped(String id) throws Exception {
        var r = virga.cli("backup", "restore", id);
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(virga.client().instance("vm").state()).isEqualTo(InstanceState.STOPPED);
    }

    /** The file the VM writes: {@code chain.json} names it once a snapshot or restore made a new top layer. */
    private Path activeLayer(String vm) throws Exception {
        var dir = home.resolve("instances").resolve(vm);
        var chain = dir.resolve("chain.json");
        return dir.resolve(Files.exists(chain)
                ? Json.mapper().readTree(chain.toFile()).path("active").asText() : "disk.qcow2");
    }

    /** A copy of what the guest of the stopped VM sees on its disk now: its whole chain flattened into one image. */
    private Path guestDisk(String vm, String label) throws Exception {
        var copy = home.resolve("expected-" + label + ".qcow2");
        var r = qemuImg("convert", "-O", "qcow2", activeLayer(vm).toString(), copy.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        return copy;
    }

    private static void assertIdentical(Path restored, Path expected) throws Exception {
        var r = qemuImg("compare", expected.toString(), restored.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Images are identical.");
    }

    private static void assertDifferent(Path restored, Path other) throws Exception {
        var r = qemuImg("compare", other.toString(), restored.toString());
        assertThat(r.exit()).as("1 = the images differ: " + r).isEqualTo(1);
        assertThat(r.out()).contains("Content mismatch");
    }

    private static Ran qemuImg(String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        var p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        var out = new String(p.getInputStream().readAllBytes());
        return new Ran(p.waitFor(), out);
    }

    private record Ran(int exit, String out) {
    }

    private void everyListedBackupVerifies() throws Exception {
        for (var b : virga.client().backups("vm", "")) {
            var op = virga.client().await(virga.client().verifyBackup(b.id(), ""), o -> { });
            assertThat(op.status()).as(b.id() + ": " + op.error()).isEqualTo(OperationStatus.SUCCESS);
        }
    }

    private void assertNoScratchLeft() throws Exception {
        try (var files = Files.walk(home.resolve("instances"))) {
            assertThat(files.filter(f -> f.toString().contains("backup-tmp")).toList()).isEmpty();
        }
        try (var files = Files.list(repo.resolve("tmp"))) {
            assertThat(files.toList()).isEmpty();
        }
    }

    private String firstDataChunk(String id) throws Exception {
        JsonNode index = Json.mapper().readTree(repo.resolve("indexes/vm/" + id + ".json").toFile());
        for (JsonNode h : index.path("chunks").path("vda")) {
            if (!h.asText().equals("zero")) {
                return h.asText();
            }
        }
        throw new AssertionError("no data chunk in " + id);
    }

    private static Backup only(List<Backup> list) {
        assertThat(list).hasSize(1);
        return list.getFirst();
    }

    private static Backup last(List<Backup> list) {
        return list.getLast();
    }

    /** Writes {@code mib} MiB of random data to a guest file, and syncs. */
    private void write(String file, int mib) throws Exception {
        var r = virga.exec("vm", "dd if=/dev/urandom of=" + file + " bs=1M count=" + mib + " 2>/dev/null && sync");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private String sums(String vm, String... files) throws Exception {
        var r = virga.exec(vm, "md5sum " + String.join(" ", files));
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out();
    }

    private void stop(String vm) {
        var r = virga.client().await(virga.client().changeState(vm, new StateChange("stop", false, 0)), o -> { });
        assertThat(r.status()).as(r.error()).isEqualTo(OperationStatus.SUCCESS);
    }

    private void start(String vm) {
        var r = virga.client().await(virga.client().changeState(vm, new StateChange("start", false, 0)), o -> { });
        assertThat(r.status()).as(r.error()).isEqualTo(OperationStatus.SUCCESS);
    }

    private void assertError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, int code, String message) {
        var e = catchThrowableOfType(ApiException.class, call);
        assertThat(e).as("expected a " + code).isNotNull();
        assertThat(e.getMessage()).contains(message);
        assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
    }
}
