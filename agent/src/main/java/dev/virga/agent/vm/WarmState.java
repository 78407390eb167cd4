package dev.virga.agent.vm;

import dev.virga.client.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A saved, running guest of an image ({@code warm.json} beside {@code state.bin}, its devices, {@code ram.bin}, its
 * RAM, and {@code disk.qcow2}, its disk, in {@code images/<fingerprint>/warm/<shape>/}): what a VM must be like to
 * resume from it instead of booting.
 *
 * @param backing     the image disk that {@code disk.qcow2} was made over, as its header names it (a copy of the
 *                    store elsewhere, e.g. hard-linked into another data directory, names another path)
 * @param signature   the QEMU command line of the saved guest with every per-VM value (name, uuid, paths, MACs,
 *                    kernel arguments) taken out: a VM resumes only into the very same devices
 * @param macs        the MACs its NICs had, in guest order
 * @param bootMillis  QEMU start to guest agent ready, when it was made
 * @param idleMillis  guest agent ready to the guest being idle
 * @param saveMillis  writing the state
 * @param guest       what the saved guest's agent said of it (version, OS, kernel), which resumed VMs share
 */
record WarmState(String fingerprint, int cpus, long memoryBytes, String machine, String accelerator,
                 String qemuVersion, String signature, long diskVirtualSize, String backing,
                 java.util.List<String> macs, long createdAt, long stateBytes, long bootMillis, long idleMillis,
                 long saveMillis, dev.virga.api.GuestDetails guest) {
    static final String FILE = "warm.json";
    static final String STATE = "state.bin";
    static final String DISK = "disk.qcow2";
    static final String RAM = "ram.bin";

    WarmState {
        macs = macs == null ? java.util.List.of() : java.util.List.copyOf(macs);
        guest = guest == null ? dev.virga.api.GuestDetails.unknown() : guest;
    }

    /** The directory name of a shape, e.g. {@code 1cpu-256mib}. */
    static String shape(int cpus, long memoryBytes) {
        return cpus + "cpu-" + (memoryBytes >> 20) + "mib";
    }

    String shape() {
        return shape(cpus, memoryBytes);
    }

    String describe() {
        return cpus + " vCPU/" + (memoryBytes >> 20) + " MiB";
    }

    static WarmState read(Path dir) {
        try {
            return Json.mapper().readValue(dir.resolve(FILE).toFile(), WarmState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(FILE), e);
        }
    }

    void write(Path dir) {
        JsonFile.write(dir.resolve(FILE), this);
    }

    dev.virga.api.agent.WarmInfo toApi() {
        return new dev.virga.api.agent.WarmInfo(cpus, memoryBytes, accelerator, qemuVersion, stateBytes,
                java.time.Instant.ofEpochMilli(createdAt), bootMillis, saveMillis);
    }
}
