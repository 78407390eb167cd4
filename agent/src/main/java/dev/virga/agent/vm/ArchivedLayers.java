package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.qemu.img.ImageInfo;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.img.QemuImgException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an instance archive from another host (a move) may hand to QEMU: its {@code chain.json} names only files of
 * the archive itself (flat names, no {@code ..}), and each disk layer is a qcow2 that keeps its data inside itself.
 * A layer with an external data file would have QEMU, as root, open whatever host file it names as the guest's
 * disk; a name with {@code ..} would have qemu-img rewrite a file outside the instance directory. Backing files are
 * checked where the layers are repointed ({@code InstanceMoves}): only the image or a sibling layer.
 */
final class ArchivedLayers {
    private ArchivedLayers() {
    }

    /**
     * Refuses the archive unpacked in {@code dir} unless every file its chain names is a plain member of it and every
     * layer present is a self-contained qcow2; returns what qemu-img said of each layer checked, by file name.
     * {@code liveActive}: the active layer of a live move, which is made here and so is absent.
     */
    static java.util.Map<String, ImageInfo> check(Path dir, DiskChain chain, boolean liveActive, QemuImg qemuImg) {
        var layers = new ArrayList<String>();
        layers.add(chain.active());
        chain.snapshots().forEach(l -> layers.add(l.file()));
        for (var name : names(chain)) {
            if (!InstanceArchive.isMemberName(name)) {
                throw AgentError.badInput("archive", "chain.json names '" + name + "', which is not a file of the "
                        + "instance directory (a plain name: letters, digits, '.', '_', '-')");
            }
        }
        var infos = new java.util.HashMap<String, ImageInfo>();
        for (var layer : layers) {
            var file = dir.resolve(layer);
            if (liveActive && layer.equals(chain.active())) {
                continue;
            }
            if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw AgentError.badInput("archive", "layer " + layer + " named by chain.json is missing");
            }
            ImageInfo info;
            try {
                info = qemuImg.info(file, false);
            } catch (QemuImgException e) {
                throw AgentError.badInput("archive", "layer " + layer + " is not a disk image qemu-img can read: "
                        + e.getMessage());
            }
            if (!info.format().equals("qcow2")) {
                throw AgentError.badInput("archive", "layer " + layer + " is " + info.format() + ", not qcow2");
            }
            if (info.dataFile().isPresent()) {
                throw AgentError.badInput("archive", "layer " + layer + " keeps its data in an external file ('"
                        + info.dataFile().get() + "'); a layer must hold its own data");
            }
            infos.put(layer, info);
        }
        return infos;
    }

    /** Every file name the chain refers to: layers, pending ones and saved memory states. */
    private static List<String> names(DiskChain chain) {
        var names = new ArrayList<String>();
        names.add(chain.active());
        for (var l : chain.snapshots()) {
            names.add(l.file());
            if (l.stateful()) {
                names.add(l.state());
            }
        }
        chain.pending().ifPresent(p -> {
            if (p.newFile() != null && !p.newFile().isEmpty()) {
                names.add(p.newFile());
            }
            if (p.state() != null && !p.state().isEmpty()) {
                names.add(p.state());
            }
        });
        return names;
    }
}
