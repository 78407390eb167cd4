package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.agent.AgentPaths;
import dev.virga.agent.Undo;
import dev.virga.agent.storage.ImageStore;
import dev.virga.agent.storage.Trees;
import dev.virga.qemu.img.QemuImg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * A VM's instance directory as an archive, both ways: out of the source host of a cold or live move, into the
 * destination, whose copy is made to read through its own image and layers.
 */
final class InstanceMoves {
    private static final Logger LOG = LoggerFactory.getLogger(InstanceMoves.class);
    /** Archive member of a live move: the active layer to make empty on the destination. */
    static final String LIVE_ACTIVE = "live-active.json";
    private final AgentPaths paths;
    private final ImageStore images;
    private final QemuImg qemuImg;
    private final VmLauncher launcher;
    private final Snapshots snapshots;
    private final BiFunction<String, String, List<String>> copiesOf;

    InstanceMoves(AgentPaths paths, ImageStore images, QemuImg qemuImg, VmLauncher launcher, Snapshots snapshots,
                  BiFunction<String, String, List<String>> copiesOf) {
        this.paths = paths;
        this.images = images;
        this.qemuImg = qemuImg;
        this.launcher = launcher;
        this.snapshots = snapshots;
        this.copiesOf = copiesOf;
    }

    /**
     * @param backing the layer it reads through, a file of the instance directory; empty: the image
     */
    record LiveActive(String file, long virtualSize, String backing) {
    }

    /**
     * Streams the instance directory. A copy, or a VM others are copies of, cannot move (their disks are tied by
     * snapshot layers on this host). {@code live}: the VM runs, and everything but the layer it writes is sent
     * (frozen snapshot layers, memory states, definition), plus {@value #LIVE_ACTIVE} saying how to make that
     * layer's empty counterpart, which the live migration's disk mirror then fills.
     */
    void exportInstance(VmEntry entry, java.io.OutputStream out, boolean live) throws IOException {
        synchronized (entry) {
            checkMovable(entry, live, false);
            if (!live) {
                InstanceArchive.write(entry.dir(), out);
                return;
            }
            var chain = DiskChain.read(entry.dir());
            var activeFile = entry.dir().resolve(chain.active());
            var info = qemuImg.info(activeFile, true);
            var backing = info.backingFile().map(Path::of).orElseThrow(() -> AgentError.failed("layer "
                    + chain.active() + " of " + entry.name() + " has no backing file", null));
            boolean onImage = backing.getParent() != null
                    && backing.getParent().getFileName().toString().equals(entry.definition().imageFingerprint());
            var active = new LiveActive(chain.active(), info.virtualSize(), onImage ? ""
                    : backing.getFileName().toString());
            InstanceArchive.write(entry.dir(), out, java.util.Set.of(chain.active()),
                    Map.of(LIVE_ACTIVE, dev.virga.client.Json.mapper().writeValueAsBytes(active)));
        }
    }

    /** Refuses (before any byte is sent) what {@link #exportInstance} would refuse; finishes a pending change. */
    void checkMovable(VmEntry entry, boolean live) {
        synchronized (entry) {
            checkMovable(entry, live, !live);
        }
    }

    private void checkMovable(VmEntry entry, boolean live, boolean recover) {
        var name = entry.name();
        if (!live && entry.running() != null) {
            throw AgentError.conflict("vm '" + name + "' is running; a cold move needs it stopped");
        }
        if (live && entry.running() == null) {
            throw AgentError.conflict("vm '" + name + "' is not running; a live move needs it running");
        }
        if (live && DiskChain.read(entry.dir()).pending().isPresent()) {
            throw AgentError.conflict("vm '" + name + "' has a snapshot change under way");
        }
        var def = entry.definition();
        if (!def.baseInstance().isEmpty()) {
            throw AgentError.conflict("vm '" + name + "' is a copy of " + def.baseInstance() + "/"
                    + def.baseSnapshot() + "; its disk reads through that VM's layer on this host and cannot move");
        }
        var copies = copiesOf.apply(name, "");
        if (!copies.isEmpty()) {
            throw AgentError.conflict("vm '" + name + "' is the base of " + String.join(", ", copies)
                    + "; it cannot move while they read through its layers");
        }
        if (recover) {
            snapshots.recover(entry);
        }
    }

    /**
     * Takes a VM moved from another host: unpacks its instance directory next to the others, points its lowest
     * layer at this host's copy of its image and each other layer at its new neighbour, and returns it registered
     * (stopped). The image must already be here. {@code live}: the archive of a running VM, whose active layer is
     * made here, empty, on top of the layer it reads through, for the live migration's mirror to fill. On any
     * failure nothing of it remains.
     */
    VmEntry importInstance(String name, java.io.InputStream in, boolean live) {
        try (var undo = new Undo()) {
            // a dot directory: an agent that dies here removes it at its next start (no vm.json under that name)
            var tmp = paths.instances().resolve(".move-" + UUID.randomUUID());
            Files.createDirectories(tmp);
            undo.push("remove " + tmp, () -> Trees.delete(tmp));
            InstanceArchive.read(in, tmp);
            var def = VmDefinition.read(tmp);
            if (!def.name().equals(name)) {
                throw AgentError.badInput("archive", "holds vm '" + def.name() + "', not '" + name + "'");
            }
            if (!def.baseInstance().isEmpty()) {
                throw AgentError.badInput("archive", "vm '" + name + "' is a copy; copies do not move");
            }
            var image = images.get(def.imageFingerprint());
            var dir = paths.instanceDir(name);
            var chain = DiskChain.read(tmp);
            var infos = ArchivedLayers.check(tmp, chain, live, qemuImg);
            var layers = new java.util.ArrayList<String>();
            layers.add(chain.active());
            chain.snapshots().forEach(l -> layers.add(l.file()));
            LiveActive active = null;
            if (live) {
                active = liveActive(tmp, chain, layers);
                layers.remove(chain.active());
            }
            for (var layer : layers) {
                repoint(tmp.resolve(layer), layer, infos.get(layer), def, image, dir, layers);
            }
            if (active != null) {
                // made where it will live (the others were repointed to their final paths too)
                var file = tmp.resolve(active.file());
                if (active.backing().isEmpty()) {
                    qemuImg.createOverlay(image.disk(), "qcow2", file, OptionalLong.of(active.virtualSize()));
                } else {
                    qemuImg.createOverlay(tmp.resolve(active.backing()), "qcow2", file,
                            OptionalLong.of(active.virtualSize()));
                    qemuImg.repoint(file, dir.resolve(active.backing()), "qcow2");
                }
            }
            var moved = new VmDefinition(def.name(), def.uuid(), def.imageFingerprint(), def.cpus(), def.memoryBytes(),
                    def.diskBytes(), def.mac(), def.machine(), image.kernel().map(Path::toString).orElse(""),
                    image.initrd().map(Path::toString).orElse(""), def.cmdline(), "", "", def.nics(), def.publish());
            moved.write(tmp);
            Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            undo.push("remove " + dir, () -> Trees.delete(dir));
            var entry = launcher.adopt(name, dir).orElseThrow(() -> AgentError.failed("vm '" + name
                    + "' could not be registered after the move", null));
            undo.keep();
            LOG.info("vm {} moved in ({} layer(s){})", name, layers.size(), live ? ", live: its active layer waits for "
                    + "the mirror" : "");
            return entry;
        } catch (IOException e) {
            throw AgentError.failed("cannot take vm " + name + ": " + e.getMessage(), e);
        }
    }

    private static LiveActive liveActive(Path tmp, DiskChain chain, List<String> layers) throws IOException {
        if (!Files.isRegularFile(tmp.resolve(LIVE_ACTIVE))) {
            throw AgentError.badInput("archive", "a live move's archive needs " + LIVE_ACTIVE);
        }
        var active = dev.virga.client.Json.mapper().readValue(tmp.resolve(LIVE_ACTIVE).toFile(), LiveActive.class);
        Files.delete(tmp.resolve(LIVE_ACTIVE));
        if (!active.file().equals(chain.active()) || Files.exists(tmp.resolve(active.file()))
                || (!active.backing().isEmpty() && !layers.contains(active.backing()))) {
            throw AgentError.badInput("archive", "its active layer " + active.file() + " on "
                    + (active.backing().isEmpty() ? "the image" : active.backing()) + " does not fit chain.json");
        }
        return active;
    }

    /**
     * Points a layer ({@code info}: what {@link ArchivedLayers#check} read of it) at this host's image, or at the
     * neighbouring layer in its final directory.
     */
    private void repoint(Path file, String layer, dev.virga.qemu.img.ImageInfo info, VmDefinition def,
                         ImageStore.Stored image, Path dir, List<String> layers) {
        var backing = info.backingFile().map(Path::of);
        if (backing.isEmpty()) {
            return;
        }
        var parent = backing.get().getParent();
        var sibling = backing.get().getFileName().toString();
        Path target;
        if (parent != null && parent.getFileName().toString().equals(def.imageFingerprint())) {
            target = image.disk();
        } else if (parent != null && parent.getFileName().toString().equals(def.name()) && layers.contains(sibling)) {
            target = dir.resolve(sibling);
        } else {
            throw AgentError.badInput("archive", "layer " + layer + " reads through " + backing.get()
                    + ", which is neither its image nor one of its layers");
        }
        qemuImg.repoint(file, target, "qcow2");
    }
}
