package dev.virga.server.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Filters, then a weight, over a snapshot of the cluster. Filters: online, active (not in standby or maintenance),
 * architecture, the launch's label constraints, holds the image, its placement group's rule, then CPU, memory and
 * disk within the overcommit ratios. Weight: spread (the largest share of memory left after placing) or pack (the
 * smallest). Pure: the same snapshot always gives the same decision, and every host's verdict says why.
 */
public final class Scheduler {
    private Scheduler() {
    }

    /** How hosts are weighed. */
    public enum Weigher {
        SPREAD, PACK
    }

    /** The cluster's placement settings: weigher and overcommit ratios (capacity × ratio may be allocated). */
    public record Policy(Weigher weigher, double cpuRatio, double memoryRatio, double diskRatio) {
        public static final Policy DEFAULT = new Policy(Weigher.SPREAD, 4.0, 1.0, 1.0);
    }

    /** A placement group the new instance belongs to. */
    public record GroupRule(String name, boolean anti) {
    }

    /** What a new instance needs. */
    public record Demand(int cpus, long memoryBytes, long diskBytes, String fingerprint, String arch,
                         List<Constraint> constraints, Optional<GroupRule> group,
                         List<dev.virga.api.PublishedPort> publish) {
        public Demand {
            publish = publish == null ? List.of() : List.copyOf(publish);
        }

        public Demand(int cpus, long memoryBytes, long diskBytes, String fingerprint, String arch,
                      List<Constraint> constraints, Optional<GroupRule> group) {
            this(cpus, memoryBytes, diskBytes, fingerprint, arch, constraints, group, List.of());
        }

        public Demand(int cpus, long memoryBytes, String fingerprint) {
            this(cpus, memoryBytes, 0, fingerprint, "", List.of(), Optional.empty());
        }
    }

    /**
     * One host as the scheduler sees it.
     *
     * @param mode         active, standby or maintenance
     * @param groupMembers members of the demand's group already on this host
     * @param portClashes  host ports the demand publishes that instances on this host publish already, each as
     *                     {@code <forward> of <instance>}
     */
    public record HostState(String name, boolean online, String mode, String arch, Map<String, String> labels,
                            int cpus, long memoryBytes, long diskBytes, int allocatedCpus, long allocatedMemory,
                            long allocatedDisk, boolean hasImage, Set<String> groupMembers, List<String> portClashes) {
        public HostState {
            portClashes = portClashes == null ? List.of() : List.copyOf(portClashes);
        }

        public HostState(String name, boolean online, String mode, String arch, Map<String, String> labels,
                         int cpus, long memoryBytes, long diskBytes, int allocatedCpus, long allocatedMemory,
                         long allocatedDisk, boolean hasImage, Set<String> groupMembers) {
            this(name, online, mode, arch, labels, cpus, memoryBytes, diskBytes, allocatedCpus, allocatedMemory,
                    allocatedDisk, hasImage, groupMembers, List.of());
        }

        public static final String ACTIVE = "active";
        public static final String STANDBY = "standby";
        public static final String MAINTENANCE = "maintenance";

        /** An active x86_64 host without labels, disk figures or group members. */
        public HostState(String name, boolean online, int cpus, long memoryBytes, int allocatedCpus,
                         long allocatedMemory, boolean hasImage) {
            this(name, online, ACTIVE, "x86_64", Map.of(), cpus, memoryBytes, 0, allocatedCpus, allocatedMemory, 0,
                    hasImage, Set.of());
        }
    }

    /** How one host fared. */
    public record Candidate(String host, boolean fits, String reason, double score) {
    }

    /**
     * The chosen host, if any, every host's verdict, and a standby host that would take the instance once woken
     * (only looked for when no active host fits).
     */
    public record Decision(Optional<String> host, List<Candidate> candidates, Optional<String> wake) {
        public String explain() {
            return Explanation.of(candidates);
        }
    }

    public static Decision place(Demand demand, List<HostState> hosts) {
        return place(demand, hosts, "", false, Policy.DEFAULT);
    }

    /**
     * @param target only this host may take it (empty: any)
     * @param force  with a target: its capacity and group rule are not checked (it must still be online, active
     *               and hold the image)
     */
    public static Decision place(Demand demand, List<HostState> hosts, String target, boolean force, Policy policy) {
        var sorted = hosts.stream().sorted(Comparator.comparing(HostState::name)).toList();
        // a host without the image may still take it if an online host can send it a copy first
        boolean copyable = sorted.stream().anyMatch(h -> h.hasImage() && h.online());
        String placedOn = demand.group().isEmpty() ? "" : sorted.stream().filter(h -> !h.groupMembers().isEmpty())
                .map(HostState::name).findFirst().orElse("");
        var candidates = new ArrayList<Candidate>();
        var wakeable = new HashMap<String, Double>();
        for (var h : sorted) {
            if (!target.isEmpty() && !h.name().equals(target)) {
                candidates.add(new Candidate(h.name(), false, "not the target " + target, 0));
                continue;
            }
            var verdict = judge(demand, h, placedOn, policy, !target.isEmpty() && force, copyable);
            if (!verdict.fits() && h.online() && HostState.STANDBY.equals(h.mode())) {
                var awake = judge(demand, withMode(h, HostState.ACTIVE), placedOn, policy, false, copyable);
                if (awake.fits()) {
                    wakeable.put(h.name(), awake.score());
                    verdict = new Candidate(h.name(), false, String.format(Locale.ROOT,
                            "standby (would fit once woken: score %.3f)", awake.score()), 0);
                }
            }
            candidates.add(verdict);
        }
        var best = candidates.stream().filter(Candidate::fits)
                .max(Comparator.comparingDouble(Candidate::score).thenComparing(Candidate::host, Comparator.reverseOrder()))
                .map(Candidate::host);
        Comparator<Map.Entry<String, Double>> byScore = Map.Entry.comparingByValue();
        var wake = best.isPresent() ? Optional.<String>empty() : wakeable.entrySet().stream()
                .max(byScore.thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
                .map(Map.Entry::getKey);
        return new Decision(best, List.copyOf(candidates), wake);
    }

    private static HostState withMode(HostState h, String mode) {
        return new HostState(h.name(), h.online(), mode, h.arch(), h.labels(), h.cpus(), h.memoryBytes(),
                h.diskBytes(), h.allocatedCpus(), h.allocatedMemory(), h.allocatedDisk(), h.hasImage(),
                h.groupMembers(), h.portClashes());
    }

    /**
     * What a host that must first receive the image loses in score: less than a whole host's share of memory, so
     * it is chosen only when no host that holds the image fits, or holds far less than it would have left.
     */
    static final double IMAGE_COPY_PENALTY = 0.5;

    private static Candidate judge(Demand d, HostState h, String groupHost, Policy policy, boolean forced,
                                   boolean copyable) {
        var reason = refusal(d, h, groupHost, policy, copyable);
        if (reason.isEmpty()) {
            return h.hasImage() ? new Candidate(h.name(), true, "", score(d, h, policy))
                    : new Candidate(h.name(), true, "image copied here first", score(d, h, policy) - IMAGE_COPY_PENALTY);
        }
        if (forced && reason.get().forcible()) {
            return new Candidate(h.name(), true, "forced past: " + reason.get().text()
                    + (h.hasImage() ? "" : "; image copied here first"), 0);
        }
        return new Candidate(h.name(), false, reason.get().text(), 0);
    }

    /** Why a host cannot take it; {@code forcible} refusals may be overridden by an explicit, forced target. */
    private record Refusal(String text, boolean forcible) {
    }

    private static Optional<Refusal> refusal(Demand d, HostState h, String groupHost, Policy policy,
                                             boolean copyable) {
        if (!h.online()) {
            return refused("offline", false);
        }
        if (!HostState.ACTIVE.equals(h.mode())) {
            return refused("in " + h.mode(), false);
        }
        if (!d.arch().isEmpty() && !d.arch().equals(h.arch())) {
            return refused("architecture " + h.arch() + ", not " + d.arch(), false);
        }
        var labels = d.constraints().isEmpty() ? h.labels() : new HashMap<>(h.labels());
        if (!d.constraints().isEmpty()) { // a copy per host only when there is something to check
            labels.put("arch", h.arch());
            labels.put("name", h.name());
        }
        for (var c : d.constraints()) {
            if (!c.holds(labels)) {
                return refused("constraint " + c + " not met (" + c.label() + "="
                        + labels.getOrDefault(c.label(), "") + ")", false);
            }
        }
        if (!h.portClashes().isEmpty()) {
            return refused("host port already published here: " + String.join(", ", h.portClashes()), false);
        }
        if (!h.hasImage() && !copyable) {
            return refused("no online host holds image " + d.fingerprint().substring(0, Math.min(12, d.fingerprint().length())),
                    false);
        }
        if (d.group().isPresent()) {
            var g = d.group().get();
            if (g.anti() && !h.groupMembers().isEmpty()) {
                return refused("anti-affinity group " + g.name() + ": already holds " + String.join(", ",
                        h.groupMembers().stream().sorted().toList()), true);
            }
            if (!g.anti() && !groupHost.isEmpty() && !groupHost.equals(h.name())) {
                return refused("affinity group " + g.name() + ": its members are on " + groupHost, true);
            }
        }
        double cpuCapacity = h.cpus() * policy.cpuRatio();
        if (h.allocatedCpus() + d.cpus() > cpuCapacity) {
            return refused(String.format(Locale.ROOT, "not enough CPU: %d of %.0f vCPUs allocated, %d more asked",
                    h.allocatedCpus(), cpuCapacity, d.cpus()), true);
        }
        double memoryCapacity = h.memoryBytes() * policy.memoryRatio();
        if (h.allocatedMemory() + d.memoryBytes() > memoryCapacity) {
            return refused(String.format(Locale.ROOT, "not enough memory: %d MiB of %d MiB allocated, %d MiB more "
                    + "asked", h.allocatedMemory() >> 20, (long) memoryCapacity >> 20, d.memoryBytes() >> 20), true);
        }
        double diskCapacity = h.diskBytes() * policy.diskRatio();
        if (h.diskBytes() > 0 && h.allocatedDisk() + d.diskBytes() > diskCapacity) {
            return refused(String.format(Locale.ROOT, "not enough disk: %d MiB of %d MiB allocated, %d MiB more "
                    + "asked", h.allocatedDisk() >> 20, (long) diskCapacity >> 20, d.diskBytes() >> 20), true);
        }
        return Optional.empty();
    }

    private static Optional<Refusal> refused(String text, boolean forcible) {
        return Optional.of(new Refusal(text, forcible));
    }

    private static double score(Demand d, HostState h, Policy policy) {
        double capacity = h.memoryBytes() * policy.memoryRatio();
        double leftShare = (capacity - h.allocatedMemory() - d.memoryBytes()) / capacity;
        return policy.weigher() == Weigher.SPREAD ? leftShare : 1 - leftShare;
    }
}
