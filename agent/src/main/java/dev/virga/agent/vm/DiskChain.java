package dev.virga.agent.vm;

import dev.virga.client.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The layers of a VM's disk ({@code chain.json}): which file is the active (written) layer and which frozen layer
 * each snapshot is. Layers are qcow2 files in the instance directory, each backed by the one below, the lowest by
 * the image. A multi-step change first records what it is about to do ({@code pending}), so an agent that dies in
 * the middle finishes or undoes it at its next start.
 *
 * @param active    file name of the layer the VM writes
 * @param snapshots oldest first
 */
record DiskChain(String active, List<Layer> snapshots, Optional<Pending> pending) {
    static final String FILE = "chain.json";
    static final String FIRST = "disk.qcow2";

    /**
     * A snapshot: the frozen layer that was active when it was taken.
     *
     * @param state file name of the saved memory/device state, empty for a disk-only snapshot
     */
    record Layer(String name, String file, long createdAt, boolean quiesced, boolean wasRunning, String state) {
        boolean stateful() {
            return !state.isEmpty();
        }
    }

    /**
     * A change under way.
     *
     * @param action   snapshot, restore or delete
     * @param snapshot the snapshot it concerns
     * @param newFile  for snapshot/restore: the layer being made
     */
    record Pending(String action, String snapshot, String newFile, String state) {
    }

    DiskChain {
        snapshots = List.copyOf(snapshots);
    }

    static DiskChain read(Path dir) {
        var f = dir.resolve(FILE);
        if (!Files.exists(f)) {
            return new DiskChain(FIRST, List.of(), Optional.empty());
        }
        try {
            return Json.mapper().readValue(f.toFile(), DiskChain.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    void write(Path dir) {
        JsonFile.write(dir.resolve(FILE), this);
    }

    Optional<Layer> snapshot(String name) {
        return snapshots.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    DiskChain pending(Pending p) {
        return new DiskChain(active, snapshots, Optional.of(p));
    }

    DiskChain done() {
        return new DiskChain(active, snapshots, Optional.empty());
    }

    /** The snapshot is taken: the old active layer is frozen under its name, {@code newActive} takes the writes. */
    DiskChain withSnapshot(Layer layer, String newActive) {
        var list = new ArrayList<>(snapshots);
        list.add(layer);
        return new DiskChain(newActive, list, Optional.empty());
    }

    DiskChain withActive(String newActive) {
        return new DiskChain(newActive, snapshots, Optional.empty());
    }

    DiskChain without(String snapshot) {
        return new DiskChain(active, snapshots.stream().filter(s -> !s.name().equals(snapshot)).toList(), pending);
    }
}
