package dev.virga.agent.vm;

import dev.virga.client.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * What a VM is, as stored in {@code vm.json} in its instance directory. Written last when a VM is created, so a
 * directory without it is a creation that died half-way.
 *
 * @param kernel       the image's kernel for direct boot, empty when the disk boots itself
 * @param baseInstance for a copy, the VM whose snapshot {@code baseSnapshot} its disk reads through
 * @param nics         tenant-network NICs (kept here so restarts, adoption by a new agent and moves keep them)
 * @param publish      host ports forwarded to the guest through its provider NIC (kept here likewise)
 */
record VmDefinition(String name, String uuid, String imageFingerprint, int cpus, long memoryBytes, long diskBytes,
                    String mac, String machine, String kernel, String initrd, String cmdline, String baseInstance,
                    String baseSnapshot, java.util.List<dev.virga.api.agent.NicSpec> nics,
                    java.util.List<dev.virga.api.PublishedPort> publish) {
    static final String FILE = "vm.json";

    VmDefinition {
        // vm.json files written before copies existed have no base
        baseInstance = baseInstance == null ? "" : baseInstance;
        baseSnapshot = baseSnapshot == null ? "" : baseSnapshot;
        nics = nics == null ? java.util.List.of() : java.util.List.copyOf(nics);
        publish = publish == null ? java.util.List.of() : java.util.List.copyOf(publish);
    }

    boolean isCopyOf(String instance, String snapshot) {
        return baseInstance.equals(instance) && (snapshot.isEmpty() || baseSnapshot.equals(snapshot));
    }

    static VmDefinition read(Path instanceDir) {
        try {
            return Json.mapper().readValue(instanceDir.resolve(FILE).toFile(), VmDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + instanceDir.resolve(FILE), e);
        }
    }

    void write(Path instanceDir) {
        JsonFile.write(instanceDir.resolve(FILE), this);
    }
}
