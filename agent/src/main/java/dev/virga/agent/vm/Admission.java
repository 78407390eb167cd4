package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.api.Sizes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The host's last word before QEMU starts: whatever capacity the host reports to the control plane, a VM starts
 * only if its memory, plus what running and starting VMs were given, fits in the machine's real memory; and no VM
 * starts while the host is in standby.
 */
public final class Admission {
    private final Path standbyFile;
    private final LongSupplier machineMemory;
    private final long reportedMemory;
    private final Map<String, Long> starting = new HashMap<>();

    /**
     * @param standbyFile    exists while the host is in standby (kept across agent restarts)
     * @param machineMemory  the machine's real memory (MemTotal)
     * @param reportedMemory what the host reports to the control plane (for the error message)
     */
    public Admission(Path standbyFile, LongSupplier machineMemory, long reportedMemory) {
        this.standbyFile = standbyFile;
        this.machineMemory = machineMemory;
        this.reportedMemory = reportedMemory;
    }

    public boolean standby() {
        return Files.exists(standbyFile);
    }

    /** Enters standby (only with no VM running) or leaves it. */
    public synchronized void standby(boolean on, long runningVms) {
        try {
            if (on) {
                if (runningVms > 0 || !starting.isEmpty()) {
                    throw AgentError.conflict("cannot enter standby: " + (runningVms + starting.size())
                            + " VM(s) run or start on this host");
                }
                Files.writeString(standbyFile, "standby since " + java.time.Instant.now() + "\n");
            } else {
                Files.deleteIfExists(standbyFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reserves {@code asked} bytes for {@code name} until {@link #done}, or refuses with what the machine has.
     *
     * @param running memory given to VMs whose QEMU runs now (excluding {@code name})
     */
    public synchronized void admit(String name, long asked, long running) {
        if (standby()) {
            throw AgentError.conflict("this host is in standby; the control plane wakes it before placing VMs here");
        }
        long starts = starting.entrySet().stream().filter(e -> !e.getKey().equals(name))
                .mapToLong(Map.Entry::getValue).sum();
        long machine = machineMemory.getAsLong();
        if (running + starts + asked > machine) {
            throw AgentError.conflict("not enough memory on this host for '" + name + "': " + Sizes.format(asked)
                    + " asked, " + Sizes.format(running + starts) + " already given to its VMs, the machine has "
                    + Sizes.format(machine) + (reportedMemory > machine ? " (the host reports "
                    + Sizes.format(reportedMemory) + " to the control plane, more than it has)" : ""));
        }
        starting.put(name, asked);
    }

    public synchronized void done(String name) {
        starting.remove(name);
    }

    /** MemTotal of /proc/meminfo, in bytes. */
    public static long machineMemory() {
        long total = meminfo("MemTotal:");
        return total > 0 ? total : Runtime.getRuntime().maxMemory();
    }

    /** MemAvailable of /proc/meminfo, in bytes (0 when unknown). */
    public static long availableMemory() {
        return meminfo("MemAvailable:");
    }

    private static long meminfo(String field) {
        try {
            for (var line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return 0;
    }
}
