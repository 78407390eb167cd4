package dev.virga.server.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Filters (online, holds the image, CPU and memory within the overcommit ratios), then a weight: spread, the host
 * with the largest share of memory left after placing. Pure: the same snapshot always gives the same decision.
 */
public final class Scheduler {
    /** Default overcommit: 4 vCPUs per host CPU, memory not overcommitted. */
    public static final double CPU_RATIO = 4.0;
    public static final double MEMORY_RATIO = 1.0;

    private Scheduler() {
    }

    /** What a new instance needs. */
    public record Demand(int cpus, long memoryBytes, String fingerprint) {
    }

    /** One host as the scheduler sees it: capacity, what is allocated on it, whether it holds the image. */
    public record HostState(String name, boolean online, int cpus, long memoryBytes, int allocatedCpus,
                            long allocatedMemory, boolean hasImage) {
    }

    /** How one host fared. */
    public record Candidate(String host, boolean fits, String reason, double score) {
    }

    /** The chosen host, if any, and every host's verdict. */
    public record Decision(Optional<String> host, List<Candidate> candidates) {
        public String explain() {
            return Explanation.of(candidates);
        }
    }

    public static Decision place(Demand demand, List<HostState> hosts) {
        return place(demand, hosts, "", false);
    }

    /**
     * @param target only this host may take it (empty: any)
     * @param force  with a target: its capacity is not checked (it must still be online and hold the image)
     */
    public static Decision place(Demand demand, List<HostState> hosts, String target, boolean force) {
        var candidates = new ArrayList<Candidate>();
        for (var h : hosts.stream().sorted(Comparator.comparing(HostState::name)).toList()) {
            if (!target.isEmpty() && !h.name().equals(target)) {
                candidates.add(new Candidate(h.name(), false, "not the target " + target, 0));
            } else if (!target.isEmpty() && force && h.online() && h.hasImage()) {
                var verdict = judge(demand, h);
                candidates.add(verdict.fits() ? verdict : new Candidate(h.name(), true, "forced past: "
                        + verdict.reason(), 0));
            } else {
                candidates.add(judge(demand, h));
            }
        }
        var best = candidates.stream().filter(Candidate::fits)
                .max(Comparator.comparingDouble(Candidate::score).thenComparing(Candidate::host, Comparator.reverseOrder()))
                .map(Candidate::host);
        return new Decision(best, List.copyOf(candidates));
    }

    private static Candidate judge(Demand d, HostState h) {
        if (!h.online()) {
            return new Candidate(h.name(), false, "offline", 0);
        }
        if (!h.hasImage()) {
            return new Candidate(h.name(), false, "does not hold image " + d.fingerprint().substring(0, 12), 0);
        }
        double cpuCapacity = h.cpus() * CPU_RATIO;
        if (h.allocatedCpus() + d.cpus() > cpuCapacity) {
            return new Candidate(h.name(), false, String.format(Locale.ROOT,
                    "not enough CPU: %d of %.0f vCPUs allocated, %d more asked", h.allocatedCpus(), cpuCapacity,
                    d.cpus()), 0);
        }
        double memoryCapacity = h.memoryBytes() * MEMORY_RATIO;
        double left = memoryCapacity - h.allocatedMemory() - d.memoryBytes();
        if (left < 0) {
            return new Candidate(h.name(), false, String.format(Locale.ROOT,
                    "not enough memory: %d MiB of %d MiB allocated, %d MiB more asked", h.allocatedMemory() >> 20,
                    (long) memoryCapacity >> 20, d.memoryBytes() >> 20), 0);
        }
        return new Candidate(h.name(), true, "", left / memoryCapacity);
    }
}
