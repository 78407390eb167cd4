package dev.virga.qemu.vm;

import dev.virga.qemu.accel.Accelerator;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Everything {@link QemuCommandLine} needs to start one VM. Invalid values are refused here, so a
 * config that exists always makes a command line QEMU accepts.
 *
 * @param accelerator TCG unless a probe showed that KVM really boots a guest on this host
 * @param machine QEMU machine type, e.g. "pc" or "q35"
 * @param disk the VM's own qcow2 (normally an overlay on an image)
 * @param kernelCmdline the kernel's command line; used only with a kernel, "" for none
 * @param macAddress the provider (user-mode NAT) NIC's MAC, stable per VM (see {@link QemuCommandLine#macFor})
 * @param tenantNics tenant-network NICs, after the provider NIC
 * @param memoryFile the guest's RAM in a file instead of anonymous memory, if any
 */
public record VmConfig(String name, String uuid, int cpus, long memoryBytes, Accelerator accelerator, String machine,
                       Path disk, Optional<Path> kernel, Optional<Path> initrd, String kernelCmdline,
                       VmPaths paths, String macAddress, java.util.List<TenantNic> tenantNics,
                       java.util.List<dev.virga.api.PublishedPort> publish, Optional<MemoryFile> memoryFile) {

    /**
     * The guest's RAM as a file: {@code shared}, the guest writes into the file (the guest an image's warm state is
     * saved from); otherwise the file is mapped copy-on-write, so VMs resumed from one warm state read its pages
     * from one page cache and hold only the pages they wrote.
     */
    public record MemoryFile(Path path, boolean shared) {
        public MemoryFile {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * A NIC on a tenant network: QEMU listens on {@code socket} ({@code -netdev stream,server=on}) for the switch.
     *
     * @param id QEMU's netdev id, e.g. {@code n0}
     */
    public record TenantNic(String id, String mac, Path socket) {
        public TenantNic {
            require(id != null && id.matches("[a-z][a-z0-9]{0,15}"), "NIC id '" + id + "' is not valid");
            require(mac != null && MAC.matcher(mac).matches(),
                    "MAC address '" + mac + "' must look like 52:54:00:ab:cd:ef (lower case)");
            Objects.requireNonNull(socket, "socket");
        }
    }
    static final long MIB = 1024 * 1024;
    // QEMU option values are comma-separated, so a name must not contain commas; keep it printable too.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern MACHINE = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern MAC = Pattern.compile("(?:[0-9a-f]{2}:){5}[0-9a-f]{2}");

    public VmConfig {
        Objects.requireNonNull(accelerator, "accelerator");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(kernelCmdline, "kernelCmdline");
        Objects.requireNonNull(paths, "paths");
        require(name != null && NAME.matcher(name).matches(), "VM name '" + name
                + "' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        require(uuid != null && isUuid(uuid), "VM uuid '" + uuid + "' is not a UUID");
        require(cpus >= 1 && cpus <= 255, "VM cpus " + cpus + " must be between 1 and 255");
        require(memoryBytes >= 16 * MIB && memoryBytes % MIB == 0,
                "VM memory " + memoryBytes + " bytes must be a whole number of MiB, at least 16 MiB");
        require(machine != null && MACHINE.matcher(machine).matches(), "machine type '" + machine + "' is not valid");
        require(macAddress != null && MAC.matcher(macAddress).matches(),
                "MAC address '" + macAddress + "' must look like 52:54:00:ab:cd:ef (lower case)");
        memoryFile = memoryFile == null ? Optional.empty() : memoryFile;
        tenantNics = tenantNics == null ? java.util.List.of() : java.util.List.copyOf(tenantNics);
        publish = publish == null ? java.util.List.of() : java.util.List.copyOf(publish);
        require(tenantNics.size() <= QemuCommandLine.MAX_TENANT_NICS, tenantNics.size()
                + " tenant NICs are more than the " + QemuCommandLine.MAX_TENANT_NICS + " a VM can have");
        require(tenantNics.stream().map(TenantNic::mac).distinct().count() == tenantNics.size()
                && tenantNics.stream().noneMatch(n -> n.mac().equals(macAddress)), "every NIC needs its own MAC");
        require(initrd.isEmpty() || kernel.isPresent(), "an initrd (" + initrd.orElse(null) + ") needs a kernel");
        require(kernelCmdline.isEmpty() || kernel.isPresent(),
                "a kernel command line ('" + kernelCmdline + "') needs a kernel");
    }

    /** The same, with the accelerator as QEMU spells it ("tcg", "kvm"), for callers holding that form. */
    public VmConfig(String name, String uuid, int cpus, long memoryBytes, String accelerator, String machine,
                    Path disk, Optional<Path> kernel, Optional<Path> initrd, String kernelCmdline,
                    VmPaths paths, String macAddress) {
        this(name, uuid, cpus, memoryBytes, accelerator(accelerator), machine, disk, kernel, initrd, kernelCmdline,
                paths, macAddress, java.util.List.of(), java.util.List.of(), Optional.empty());
    }

    public VmConfig(String name, String uuid, int cpus, long memoryBytes, Accelerator accelerator, String machine,
                    Path disk, Optional<Path> kernel, Optional<Path> initrd, String kernelCmdline,
                    VmPaths paths, String macAddress) {
        this(name, uuid, cpus, memoryBytes, accelerator, machine, disk, kernel, initrd, kernelCmdline, paths,
                macAddress, java.util.List.of(), java.util.List.of(), Optional.empty());
    }

    public VmConfig withTenantNics(java.util.List<TenantNic> nics) {
        return new VmConfig(name, uuid, cpus, memoryBytes, accelerator, machine, disk, kernel, initrd, kernelCmdline,
                paths, macAddress, nics, publish, memoryFile);
    }

    /** The same, with host ports forwarded to the guest through the provider NIC. */
    public VmConfig withPublish(java.util.List<dev.virga.api.PublishedPort> forwards) {
        return new VmConfig(name, uuid, cpus, memoryBytes, accelerator, machine, disk, kernel, initrd, kernelCmdline,
                paths, macAddress, tenantNics, forwards, memoryFile);
    }

    /** The same, with the guest's RAM in {@code file} (see {@link MemoryFile}). */
    public VmConfig withMemoryFile(Path file, boolean shared) {
        return new VmConfig(name, uuid, cpus, memoryBytes, accelerator, machine, disk, kernel, initrd, kernelCmdline,
                paths, macAddress, tenantNics, publish, Optional.of(new MemoryFile(file, shared)));
    }

    public long memoryMiB() {
        return memoryBytes / MIB;
    }

    private static Accelerator accelerator(String qemuArg) {
        for (Accelerator a : Accelerator.values()) {
            if (a.qemuArg().equals(qemuArg)) {
                return a;
            }
        }
        throw new IllegalArgumentException("accelerator '" + qemuArg + "' is not one of tcg, kvm");
    }

    private static boolean isUuid(String text) {
        try {
            return UUID.fromString(text).toString().equalsIgnoreCase(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
