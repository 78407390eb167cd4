package dev.virga.agent.sim;

import dev.virga.agent.AgentError;
import dev.virga.api.GuestDetails;
import dev.virga.api.agent.HostImage;
import dev.virga.api.agent.HostReport;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmSpec;
import dev.virga.api.agent.VmStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated host: its capacity and its VMs, which are records that change state at once when asked. It answers
 * what a real agent answers for the same calls, so the control plane cannot tell the difference except by the
 * accelerator it reports ({@value #ACCELERATOR}).
 */
final class SimulatedHost {
    static final String ACCELERATOR = "simulated";
    static final String WHY = "simulated host (test and planning tool): no QEMU, VMs are records";
    static final String QEMU = "none (simulated)";
    /** The disk each simulated host reports (VMs' disks are counted against it, nothing is written). */
    static final long DISK_BYTES = 2L << 40;
    private final String name;
    private final String token;
    private final int cpus;
    private final long memoryBytes;
    private final Map<String, String> labels;
    private final Map<String, VmStatus> vms = new ConcurrentHashMap<>();
    private final AtomicLong reports;
    private volatile boolean down;
    private volatile boolean standby;
    /** Memory and disk of each VM, as it was made. */
    private final Map<String, long[]> sizes = new ConcurrentHashMap<>();

    SimulatedHost(String name, String token, int cpus, long memoryBytes, Map<String, String> labels,
                  AtomicLong reports) {
        this.name = name;
        this.labels = labels;
        this.token = token;
        this.cpus = cpus;
        this.memoryBytes = memoryBytes;
        this.reports = reports;
    }

    String name() {
        return name;
    }

    String token() {
        return token;
    }

    boolean down() {
        return down;
    }

    void down(boolean down) {
        this.down = down;
    }

    HostReport report() {
        reports.incrementAndGet();
        long memoryUsed = 0;
        long diskUsed = 0;
        for (var vm : vms.values()) {
            var size = sizes.get(vm.name());
            if (size != null) {
                memoryUsed += vm.power() == VmPower.STOPPED ? 0 : size[0];
                diskUsed += size[1];
            }
        }
        // a simulated VM "uses" the memory and disk it was given, so the host's actual use follows its VMs
        return new HostReport(name, cpus, memoryBytes, "x86_64", ACCELERATOR, WHY, QEMU, new ArrayList<>(vms.values()),
                Math.max(0, memoryBytes - memoryUsed), DISK_BYTES, Math.max(0, DISK_BYTES - diskUsed), labels,
                standby);
    }

    /** Standby (the control plane wakes it when a launch needs it): it reports so and keeps its VMs. */
    synchronized HostReport standby(boolean on) {
        long running = vms.values().stream().filter(v -> v.power() != VmPower.STOPPED).count();
        if (on && running > 0) {
            throw AgentError.conflict("cannot enter standby: " + running + " VM(s) run or start on this host");
        }
        standby = on;
        return report();
    }

    private void admit() {
        if (standby) {
            throw AgentError.conflict("this host is in standby; the control plane wakes it before placing VMs here");
        }
    }

    List<VmStatus> statuses() {
        return List.copyOf(vms.values());
    }

    int vmCount() {
        return vms.size();
    }

    VmStatus create(String pathName, VmSpec spec) {
        if (spec == null || spec.name() == null || !spec.name().equals(pathName)) {
            throw AgentError.badInput("name", "the body names '" + (spec == null ? null : spec.name())
                    + "', the path '" + pathName + "'");
        }
        if (spec.isCopy()) {
            throw new NotSimulated("copies (a simulated VM has no disk to copy)");
        }
        if (!SimulatedImage.TINY.fingerprint().equals(spec.imageFingerprint())) {
            throw AgentError.notFound("image", spec.imageFingerprint());
        }
        if (spec.cpus() < 1 || spec.memoryBytes() <= 0) {
            throw AgentError.badInput("cpus", spec.cpus() + " vCPUs and " + spec.memoryBytes()
                    + " bytes cannot make a VM");
        }
        admit();
        var status = running(spec.name());
        if (vms.putIfAbsent(spec.name(), status) != null) {
            throw AgentError.conflict("instance '" + spec.name() + "' already exists on this host");
        }
        sizes.put(spec.name(), new long[] {spec.memoryBytes(), spec.diskBytes()});
        return status;
    }

    VmStatus start(String vm) {
        admit();
        return change(vm, VmPower.STOPPED, running(vm));
    }

    VmStatus resume(String vm) {
        return change(vm, VmPower.PAUSED, running(vm));
    }

    VmStatus pause(String vm) {
        var current = get(vm);
        return change(vm, VmPower.RUNNING, new VmStatus(vm, VmPower.PAUSED, 0, "", ACCELERATOR, 0, 0, 0,
                current.guest()));
    }

    VmStatus stop(String vm, StopSpec spec) {
        var current = get(vm);
        if (current.power() == VmPower.STOPPED) {
            return current;
        }
        var stopped = new VmStatus(vm, VmPower.STOPPED, 0, "stopped by request", ACCELERATOR, 0, 0, 0,
                GuestDetails.unknown());
        vms.put(vm, stopped);
        return stopped;
    }

    /** Absent is fine, as on a real host. */
    void delete(String vm) {
        vms.remove(vm);
        sizes.remove(vm);
    }

    List<HostImage> images() {
        return List.of(SimulatedImage.TINY);
    }

    HostImage build(String recipe) {
        if (!"tiny".equals(recipe)) {
            throw AgentError.badInput("recipe", "'" + recipe + "' is not a recipe a simulated host knows (tiny)");
        }
        return SimulatedImage.TINY;
    }

    private VmStatus get(String vm) {
        var status = vms.get(vm);
        if (status == null) {
            throw AgentError.notFound("instance", vm);
        }
        return status;
    }

    private VmStatus change(String vm, VmPower from, VmStatus to) {
        var current = get(vm);
        if (current.power() == to.power()) {
            return current;
        }
        if (current.power() != from) {
            throw AgentError.conflict("instance '" + vm + "' is " + current.power().name().toLowerCase());
        }
        vms.put(vm, to);
        return to;
    }

    private static VmStatus running(String vm) {
        return new VmStatus(vm, VmPower.RUNNING, 0, "", ACCELERATOR, 0, 0, 0,
                new GuestDetails(true, "simulated", "simulated guest (no OS)", "", vm));
    }
}
