package dev.virga.agent.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virga.agent.AgentError;
import dev.virga.agent.backup.Repositories;
import dev.virga.agent.storage.Trees;
import dev.virga.api.Backup;
import dev.virga.backup.BackupException;
import dev.virga.backup.BackupInfo;
import dev.virga.backup.BackupProgress;
import dev.virga.backup.BackupRepository;
import dev.virga.backup.BackupRequest;
import dev.virga.backup.DiskSource;
import dev.virga.client.Json;
import dev.virga.qemu.ga.GuestAgentException;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.qmp.QmpClient;
import dev.virga.qemu.qmp.QmpClosedException;
import dev.virga.qemu.qmp.QmpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Backs up a VM's disk (as the guest sees it: the whole chain) into a backup repository, and restores one.
 *
 * <p>Running or not, the copy is made by QEMU: a {@code transaction} starts a {@code blockdev-backup} job into a
 * scratch qcow2 and, at the same instant, a new persistent dirty bitmap on the disk's top node, which records every
 * write after that point. A full backup uses {@code sync=full}; an incremental one {@code sync=bitmap} with the
 * bitmap of the previous backup and {@code bitmap-mode=never}, so that bitmap is kept until the new backup is
 * committed: an agent or QEMU that dies half-way leaves the previous backup's bitmap whole (or, after a QEMU crash,
 * marked inconsistent, and the next backup is full and says why). The scratch file then holds exactly the dirty
 * clusters; each 4 MiB chunk that has one is the parent backup's chunk with those clusters laid over it, so an
 * unchanged VM reads nothing. A stopped VM gets a QEMU of its own for the copy ({@code -machine none}, no guest).
 *
 * <p>Per VM, {@code backup.json} says which backup (in which repository, on which top layer) the live bitmap
 * continues; it is written only after the repository committed the backup.
 */
final class DiskBackup {
    private static final Logger LOG = LoggerFactory.getLogger(DiskBackup.class);
    static final String DISK = "vda";
    private static final String STATE = "backup.json";
    private static final String SCRATCH_DIR = "backup-tmp";
    private static final String BITMAP_PREFIX = "virga-backup-";
    private static final String JOB = "virga-backup";
    private static final String TARGET_NODE = "virga-backup-target";
    private static final String OFFLINE_NODE = "vda-offline";
    private static final Duration JOB_TIMEOUT = Duration.ofHours(12);
    private final QemuImg img;
    private final Path qemuBinary;
    private final Map<String, Map<String, Object>> progress = new ConcurrentHashMap<>();

    DiskBackup(QemuImg img, Path qemuBinary) {
        this.img = img;
        this.qemuBinary = qemuBinary;
    }

    /** What the bitmap of the last backup continues from. */
    record State(String repository, String backupId, String bitmap, String layer) {
    }

    /** How far the running backup of {@code vm} is (empty map when none runs). */
    Map<String, Object> progress(String vm) {
        return progress.getOrDefault(vm, Map.of());
    }

    Backup backup(VmEntry e, Path repoPath, boolean askedFull) {
        var repo = Repositories.open(repoPath);
        var scratchDir = e.dir().resolve(SCRATCH_DIR);
        Trees.delete(scratchDir);
        var scratch = scratchDir.resolve("scratch-" + UUID.randomUUID().toString().substring(0, 8) + ".qcow2");
        progress.put(e.name(), Map.of("phase", "starting"));
        try {
            Files.createDirectories(scratchDir);
            var running = e.running();
            if (running != null) {
                return backupWith(e, running.qmp(), BlockNodes.top(running.qmp()), BlockNodes.topFile(running.qmp()),
                        running, repo, scratch, askedFull);
            }
            return offline(e, repo, scratch, askedFull);
        } catch (IOException ex) {
            throw AgentError.failed("backup of " + e.name() + ": " + ex.getMessage(), ex);
        } finally {
            Trees.delete(scratchDir);
            progress.remove(e.name());
        }
    }

    /** A stopped VM: a QEMU without a guest opens its chain, so the same QMP path (and the bitmap) serve. */
    private Backup offline(VmEntry e, BackupRepository repo, Path scratch, boolean askedFull) {
        var active = e.dir().resolve(DiskChain.read(e.dir()).active());
        var socket = e.vmPaths().qmpSocket().resolveSibling("backup-qmp.sock");
        var blockdev = Json.mapper().createObjectNode().put("driver", "qcow2").put("node-name", OFFLINE_NODE);
        blockdev.putObject("file").put("driver", "file").put("filename", active.toString());
        var command = List.of(qemuBinary.toString(), "-machine", "none", "-nodefaults", "-display", "none",
                "-S", "-pidfile", pidFile(e).toString(), "-qmp", "unix:" + socket + ",server=on,wait=off",
                "-blockdev", blockdev.toString());
        try {
            Files.createDirectories(socket.getParent());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        var spawned = QemuProcess.spawn(command, scratch.resolveSibling("qemu.log"), socket);
        try (var qmp = spawned.qmp()) {
            try {
                return backupWith(e, qmp, OFFLINE_NODE, active, null, repo, scratch, askedFull);
            } finally {
                // quit writes the persistent bitmaps into the qcow2; a kill would leave them inconsistent
                try {
                    qmp.quit();
                } catch (QmpException ex) {
                    LOG.debug("backup QEMU of {}: {}", e.name(), ex.getMessage());
                }
                if (!spawned.handle().onExit().completeOnTimeout(null, 30, java.util.concurrent.TimeUnit.SECONDS)
                        .thenApply(p -> true).join() || spawned.handle().isAlive()) {
                    spawned.handle().destroyForcibly();
                }
                Trees.deleteQuietly(socket);
            }
        }
    }

    private Backup backupWith(VmEntry e, QmpClient qmp, String node, Path topFile, RunningVm running,
                              BackupRepository repo, Path scratch, boolean askedFull) {
        cleanUpAfterCrash(qmp);
        var state = readState(e.dir());
        var bitmaps = bitmapsOf(qmp, node);
        long size = virtualSize(qmp, node);
        var reason = fullReason(askedFull, state, repo, bitmaps, topFile, size);
        var newBitmap = BITMAP_PREFIX + UUID.randomUUID().toString().substring(0, 8);
        img.create(scratch, "qcow2", size);
        var target = Json.mapper().createObjectNode().put("driver", "qcow2").put("node-name", TARGET_NODE);
        target.putObject("file").put("driver", "file").put("filename", scratch.toString());
        qmp.execute("blockdev-add", target);
        boolean committed = false;
        try {
            boolean quiesced = copy(e, qmp, node, running, newBitmap, reason.isEmpty() ? state.get().bitmap() : "");
            qmp.execute("blockdev-del", Map.of("node-name", TARGET_NODE));
            var extents = img.map(scratch, "qcow2");
            long dirty = extents.stream().filter(QemuImg.Extent::present).mapToLong(QemuImg.Extent::length).sum();
            var info = Repositories.call(() -> store(e, repo, scratch, extents, size,
                    reason.isEmpty() ? state.get().backupId() : "", quiesced));
            committed = true;
            writeState(e.dir(), new State(repo.path().toString(), info.id(), newBitmap, topFile.toString()));
            for (var old : bitmaps.keySet()) {
                removeBitmap(qmp, node, old);
            }
            LOG.info("vm {}: backup {} ({}{}) into {}", e.name(), info.id(), reason.isEmpty() ? "incremental" : "full",
                    quiesced ? ", quiesced" : "", repo.path());
            return toApi(info, reason, dirty);
        } finally {
            if (!committed) {
                removeBitmap(qmp, node, newBitmap);
            }
            try {
                qmp.execute("blockdev-del", Map.of("node-name", TARGET_NODE));
            } catch (QmpException ex) {
                // deleted already, or QEMU is gone
            }
        }
    }

    /** Why this backup must be full; empty when it can continue the previous one. */
    private static String fullReason(boolean askedFull, Optional<State> state, BackupRepository repo,
                                     Map<String, JsonNode> bitmaps, Path topFile, long size) {
        if (askedFull) {
            return "a full backup was asked for";
        }
        if (state.isEmpty()) {
            return "first backup of this VM";
        }
        var s = state.get();
        if (!s.repository().equals(repo.path().toString())) {
            return "the previous backup went to another repository (" + s.repository() + ")";
        }
        BackupInfo parent;
        try {
            parent = repo.info(s.backupId());
        } catch (BackupException.UnknownBackup ex) {
            return "the previous backup " + s.backupId() + " is no longer in the repository";
        }
        if (!s.layer().equals(topFile.toString())) {
            return "the disk has a new top layer since the previous backup (a snapshot or a restore)";
        }
        var bitmap = bitmaps.get(s.bitmap());
        if (bitmap == null) {
            // QEMU writes a persistent bitmap into the qcow2 when it closes the image: a killed QEMU never did
            return "the dirty bitmap " + s.bitmap() + " of the previous backup is gone (QEMU ended without saving "
                    + "it: killed or crashed)";
        }
        if (bitmap.path("inconsistent").asBoolean(false)) {
            return "the dirty bitmap " + s.bitmap() + " is inconsistent (QEMU was stopped uncleanly)";
        }
        if (!bitmap.path("recording").asBoolean(true)) {
            return "the dirty bitmap " + s.bitmap() + " is not recording";
        }
        if (parent.disk(DISK).map(d -> d.size() != size).orElse(true)) {
            return "the disk's size changed since the previous backup";
        }
        return "";
    }

    /**
     * Starts the copy (the point in time) and waits for it; the guest is frozen around the start only.
     *
     * @param oldBitmap for an incremental: the bitmap of the previous backup; empty for a full copy
     * @return whether the guest was quiesced
     */
    private static boolean copy(VmEntry e, QmpClient qmp, String node, RunningVm running, String newBitmap,
                                String oldBitmap) {
        var add = Json.mapper().createObjectNode().put("node", node).put("name", newBitmap).put("persistent", true);
        var job = Json.mapper().createObjectNode().put("job-id", JOB).put("device", node).put("target", TARGET_NODE);
        if (oldBitmap.isEmpty()) {
            job.put("sync", "full");
        } else {
            job.put("sync", "bitmap").put("bitmap", oldBitmap).put("bitmap-mode", "never");
        }
        var args = Json.mapper().createObjectNode();
        var actions = args.putArray("actions");
        actions.addObject().put("type", "block-dirty-bitmap-add").set("data", add);
        actions.addObject().put("type", "blockdev-backup").set("data", job);
        boolean frozen = false;
        try (var done = qmp.expectEvent(ev -> (ev.is("BLOCK_JOB_COMPLETED") || ev.is("BLOCK_JOB_CANCELLED"))
                && ev.data().path("device").asText().equals(JOB))) {
            // a paused guest cannot answer its agent: the copy is consistent as of the pause, not quiesced
            if (running != null && !"paused".equals(qmp.status())) {
                frozen = freeze(running);
            }
            try {
                qmp.execute("transaction", args);
            } finally {
                if (frozen) {
                    Snapshots.thaw(running);
                }
            }
            var event = awaitJob(e, done);
            if (event.is("BLOCK_JOB_CANCELLED") || event.data().has("error")) {
                throw AgentError.failed("the backup copy of " + e.name() + " failed: "
                        + event.data().path("error").asText("cancelled"), null);
            }
        }
        return frozen;
    }

    private static dev.virga.qemu.qmp.QmpEvent awaitJob(VmEntry e, dev.virga.qemu.qmp.EventWaiter done) {
        try {
            return done.await(JOB_TIMEOUT);
        } catch (QmpClosedException ex) {
            throw AgentError.failed("QEMU of " + e.name() + " ended during the backup; nothing was stored", ex);
        }
    }

    private static boolean freeze(RunningVm vm) {
        try {
            return vm.guest().call(ga -> ga.fsfreezeFreeze()) > 0;
        } catch (GuestAgentException ex) {
            LOG.info("vm {}: backup not quiesced ({})", vm.name(), ex.getMessage());
            return false;
        }
    }

    private BackupInfo store(VmEntry e, BackupRepository repo, Path scratch, List<QemuImg.Extent> extents, long size,
                             String parent, boolean quiesced) {
        progress.put(e.name(), Map.of("phase", "storing"));
        var source = new ScratchSource(scratch, extents, repo, parent);
        var disks = List.of(new DiskSource(DISK, size, source));
        var request = parent.isEmpty() ? BackupRequest.full(e.name(), quiesced, disks)
                : BackupRequest.incremental(e.name(), parent, quiesced, disks);
        BackupProgress onChunk = (disk, s) -> progress.put(e.name(), Map.of("phase", "storing",
                "bytesRead", s.bytesRead(), "bytesWritten", s.bytesWritten(), "chunksNew", s.chunksNew(),
                "chunksReused", s.chunksReused()));
        return repo.backup(request, onChunk);
    }

    static Backup toApi(BackupInfo info, String fullReason, long dirtyBytes) {
        var s = info.stats();
        return new Backup(info.id(), info.vm(), "", info.created(), info.parentId(), info.quiesced(), info.size(),
                s.bytesRead(), dirtyBytes, s.bytesWritten(), s.chunksNew(), s.chunksReused(), s.chunksUnchanged(),
                s.chunksZero(), fullReason);
    }

    /**
     * Writes backup {@code backupId} as the VM's disk (stopped): a new active layer without backing file, made from
     * the restored raw image. Snapshots stay; the next backup is full (the bitmap lived on the old top layer).
     */
    String restore(VmEntry e, Path repoPath, String backupId) {
        var repo = Repositories.open(repoPath);
        var dir = e.dir();
        var scratchDir = dir.resolve(SCRATCH_DIR);
        Trees.delete(scratchDir);
        var raw = scratchDir.resolve("restore.raw");
        var newFile = "layer-" + UUID.randomUUID().toString().substring(0, 8) + ".qcow2";
        try {
            Files.createDirectories(scratchDir);
            Repositories.call(() -> repo.restore(backupId, DISK, raw));
            img.convert(raw, "raw", scratchDir.resolve(newFile), "qcow2");
            Files.move(scratchDir.resolve(newFile), dir.resolve(newFile), StandardCopyOption.ATOMIC_MOVE);
            DiskChain.read(dir).withActive(newFile).write(dir);
            return newFile;
        } catch (IOException ex) {
            throw AgentError.failed("restore of " + backupId + " onto " + e.name() + ": " + ex.getMessage(), ex);
        } finally {
            Trees.delete(scratchDir);
        }
    }

    private static Path pidFile(VmEntry e) {
        return e.vmPaths().qmpSocket().resolveSibling("backup-qemu.pid");
    }

    /**
     * At agent start: what a backup cut short by the agent's death left. A stopped VM's backup QEMU (it would hold
     * the disk's lock) is killed; a running VM's backup job and scratch node are removed; the scratch files go.
     */
    void recover(VmEntry e) {
        var socket = e.vmPaths().qmpSocket().resolveSibling("backup-qmp.sock");
        QemuProcess.find(pidFile(e), socket).ifPresent(h -> {
            LOG.warn("vm {}: killing the QEMU of a backup an earlier agent left (pid {})", e.name(), h.pid());
            h.destroyForcibly();
            h.onExit().completeOnTimeout(null, 10, java.util.concurrent.TimeUnit.SECONDS).join();
        });
        Trees.deleteQuietly(pidFile(e));
        var running = e.running();
        if (running != null) {
            try {
                cleanUpAfterCrash(running.qmp());
            } catch (QmpException ex) {
                LOG.warn("vm {}: cleaning up after an interrupted backup: {}", e.name(), ex.getMessage());
            }
        }
        Trees.delete(e.dir().resolve(SCRATCH_DIR));
    }

    /** A job or target node left by an agent that died during a backup. */
    private static void cleanUpAfterCrash(QmpClient qmp) {
        for (JsonNode j : qmp.execute("query-block-jobs")) {
            if (j.path("device").asText().equals(JOB)) {
                LOG.warn("cancelling a backup job left by an earlier agent");
                try (var gone = qmp.expectEvent(ev -> ev.data().path("device").asText().equals(JOB)
                        && (ev.is("BLOCK_JOB_CANCELLED") || ev.is("BLOCK_JOB_COMPLETED")))) {
                    qmp.execute("block-job-cancel", Map.of("device", JOB, "force", true));
                    gone.await(Duration.ofMinutes(1));
                } catch (QmpException ex) {
                    LOG.warn("cancelling the old backup job: {}", ex.getMessage());
                }
            }
        }
        for (JsonNode n : qmp.execute("query-named-block-nodes", Map.of("flat", true))) {
            if (n.path("node-name").asText().equals(TARGET_NODE)) {
                qmp.execute("blockdev-del", Map.of("node-name", TARGET_NODE));
            }
        }
    }

    /** The Virga backup bitmaps of a node, by name. */
    private static Map<String, JsonNode> bitmapsOf(QmpClient qmp, String node) {
        var out = new java.util.LinkedHashMap<String, JsonNode>();
        for (JsonNode n : qmp.execute("query-named-block-nodes", Map.of("flat", true))) {
            if (n.path("node-name").asText().equals(node)) {
                for (JsonNode b : n.path("dirty-bitmaps")) {
                    if (b.path("name").asText().startsWith(BITMAP_PREFIX)) {
                        out.put(b.path("name").asText(), b);
                    }
                }
            }
        }
        return out;
    }

    private static long virtualSize(QmpClient qmp, String node) {
        for (JsonNode n : qmp.execute("query-named-block-nodes", Map.of("flat", true))) {
            if (n.path("node-name").asText().equals(node)) {
                return n.path("image").path("virtual-size").asLong();
            }
        }
        throw AgentError.failed("QEMU has no block node " + node, null);
    }

    private static void removeBitmap(QmpClient qmp, String node, String name) {
        try {
            qmp.execute("block-dirty-bitmap-remove", Map.of("node", node, "name", name));
        } catch (QmpException ex) {
            LOG.debug("bitmap {} not removed: {}", name, ex.getMessage());
        }
    }

    static Optional<State> readState(Path dir) {
        var f = dir.resolve(STATE);
        try {
            return Files.exists(f) ? Optional.of(Json.mapper().readValue(f.toFile(), State.class)) : Optional.empty();
        } catch (IOException ex) {
            LOG.warn("unreadable {}: {}; the next backup is full", f, ex.toString());
            return Optional.empty();
        }
    }

    private static void writeState(Path dir, State state) {
        var tmp = dir.resolve(STATE + ".tmp");
        try {
            Files.write(tmp, Json.mapper().writeValueAsBytes(state));
            Files.move(tmp, dir.resolve(STATE), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + dir.resolve(STATE), ex);
        }
    }


}
