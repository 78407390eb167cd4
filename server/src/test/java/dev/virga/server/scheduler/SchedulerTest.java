package dev.virga.server.scheduler;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchedulerTest {
    private static final long GIB = 1L << 30;
    private static final String IMAGE = "a".repeat(64);

    private static Scheduler.HostState host(String name, long memGib, long allocatedGib, boolean online, boolean image) {
        return new Scheduler.HostState(name, online, 4, memGib * GIB, 1, allocatedGib * GIB, image);
    }

    @Test
    void spreadsToTheHostWithTheLargestShareOfMemoryLeft() {
        var d = Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE),
                List.of(host("a", 16, 8, true, true), host("b", 16, 2, true, true), host("c", 8, 0, true, true)));
        // left after placing: a 7/16, b 13/16, c 7/8 of its memory
        assertThat(d.host()).contains("c");
        assertThat(d.explain()).isEqualTo("a: score 0.438; b: score 0.813; c: score 0.875");
        assertThat(d.candidates()).extracting(Scheduler.Candidate::fits).containsExactly(true, true, true);
    }

    @Test
    void everyRejectedHostSaysWhy() {
        var d = Scheduler.place(new Scheduler.Demand(1, 4 * GIB, IMAGE), List.of(host("a", 16, 14, true, true),
                host("b", 16, 0, false, true), host("c", 16, 0, true, false), host("d", 16, 0, false, false)));
        assertThat(d.host()).contains("c");
        assertThat(d.explain()).isEqualTo("a: not enough memory: 14336 MiB of 16384 MiB allocated, 4096 MiB more "
                + "asked; b: offline; c: score 0.250 (image copied here first); d: offline");
    }

    @Test
    void aHostWhereTheHostPortIsPublishedAlreadyIsRefusedEvenWhenForced() {
        var a = host("a", 16, 0, true, true);
        var taken = new Scheduler.HostState(a.name(), true, a.mode(), a.arch(), a.labels(), a.cpus(), a.memoryBytes(),
                0, 0, 0, 0, true, java.util.Set.of(), List.of("0.0.0.0:8080->80/tcp of web1"));
        var demand = new Scheduler.Demand(1, GIB, 0, IMAGE, "", List.of(), java.util.Optional.empty(),
                List.of(dev.virga.api.PublishedPort.parse("127.0.0.1:8080:22")));
        var d = Scheduler.place(demand, List.of(taken, host("b", 16, 8, true, true)));
        assertThat(d.host()).contains("b");
        assertThat(d.explain()).startsWith("a: host port already published here: 0.0.0.0:8080->80/tcp of web1; b:");
        var forced = Scheduler.place(demand, List.of(taken), "a", true, Scheduler.Policy.DEFAULT);
        assertThat(forced.host()).as("QEMU could not listen: forcing does not help").isEmpty();
    }

    @Test
    void aHostThatHoldsTheImageIsPreferredToOneThatMustReceiveIt() {
        var d = Scheduler.place(new Scheduler.Demand(1, 4 * GIB, IMAGE), List.of(host("a", 16, 6, true, true),
                host("c", 16, 0, true, false)));
        // a keeps 6/16 after placing, c would keep 12/16 but pays for the copy
        assertThat(d.host()).contains("a");
        assertThat(d.explain()).isEqualTo("a: score 0.375; c: score 0.250 (image copied here first)");
    }

    @Test
    void noHostTakesAnImageNoOnlineHostHolds() {
        var d = Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), List.of(host("a", 16, 0, false, true),
                host("c", 16, 0, true, false)));
        assertThat(d.host()).isEmpty();
        assertThat(d.explain()).isEqualTo("a: offline; c: no online host holds image aaaaaaaaaaaa");
    }

    @Test
    void cpusAreOvercommittedFourToOne() {
        var full = new Scheduler.HostState("a", true, 2, 16 * GIB, 8, 0, true);
        var d = Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), List.of(full));
        assertThat(d.host()).isEmpty();
        assertThat(d.explain()).contains("not enough CPU: 8 of 8 vCPUs allocated, 1 more asked");
        var room = new Scheduler.HostState("a", true, 2, 16 * GIB, 7, 0, true);
        assertThat(Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), List.of(room)).host()).contains("a");
    }

    @Test
    void equalHostsAreChosenByNameSoTheDecisionIsRepeatable() {
        var hosts = List.of(host("b", 16, 0, true, true), host("a", 16, 0, true, true));
        assertThat(Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), hosts).host()).contains("a");
    }

    @Test
    void aTargetIsStillCheckedUnlessForced() {
        var hosts = List.of(host("a", 16, 0, true, true), host("b", 16, 15, true, true));
        var checked = Scheduler.place(new Scheduler.Demand(1, 4 * GIB, IMAGE), hosts, "b", false, Scheduler.Policy.DEFAULT);
        assertThat(checked.host()).isEmpty();
        assertThat(checked.explain()).startsWith("a: not the target b; b: not enough memory");
        var forced = Scheduler.place(new Scheduler.Demand(1, 4 * GIB, IMAGE), hosts, "b", true, Scheduler.Policy.DEFAULT);
        assertThat(forced.host()).contains("b");
        assertThat(forced.explain()).contains("b: score 0.000");
        var offline = List.of(host("b", 16, 0, false, true));
        assertThat(Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), offline, "b", true, Scheduler.Policy.DEFAULT).host()).isEmpty();
    }

    private static Scheduler.HostState full(String name, String mode, Map<String, String> labels, long allocatedGib,
                                            Set<String> members) {
        return new Scheduler.HostState(name, true, mode, "x86_64", labels, 4, 16 * GIB, 100 * GIB, 0,
                allocatedGib * GIB, 0, true, members);
    }

    private static Scheduler.Demand demand(List<String> constraints, Optional<Scheduler.GroupRule> group) {
        return new Scheduler.Demand(1, GIB, GIB, IMAGE, "x86_64", Constraint.parseAll(constraints), group);
    }

    @Test
    void packPrefersTheFullestHostThatStillFits() {
        var hosts = List.of(full("a", "active", Map.of(), 2, Set.of()), full("b", "active", Map.of(), 10, Set.of()),
                full("c", "active", Map.of(), 15, Set.of()));
        var pack = new Scheduler.Policy(Scheduler.Weigher.PACK, 4, 1, 1);
        assertThat(Scheduler.place(demand(List.of(), Optional.empty()), hosts, "", false, pack).host()).contains("c");
        assertThat(Scheduler.place(demand(List.of(), Optional.empty()), hosts, "", false, Scheduler.Policy.DEFAULT)
                .host()).contains("a");
    }

    @Test
    void memoryOvercommitRatioIsHonoured() {
        var hosts = List.of(full("a", "active", Map.of(), 16, Set.of()));
        assertThat(Scheduler.place(demand(List.of(), Optional.empty()), hosts).explain())
                .isEqualTo("a: not enough memory: 16384 MiB of 16384 MiB allocated, 1024 MiB more asked");
        var overcommit = new Scheduler.Policy(Scheduler.Weigher.SPREAD, 4, 1.5, 1);
        assertThat(Scheduler.place(demand(List.of(), Optional.empty()), hosts, "", false, overcommit).host())
                .contains("a");
    }

    @Test
    void constraintsMatchLabelsArchAndName() {
        var hosts = List.of(full("a", "active", Map.of("ssd", "true"), 0, Set.of()),
                full("b", "active", Map.of("ssd", "false"), 0, Set.of()));
        var d = Scheduler.place(demand(List.of("ssd=true"), Optional.empty()), hosts);
        assertThat(d.host()).contains("a");
        assertThat(d.explain()).contains("b: constraint ssd=true not met (ssd=false)");
        assertThat(Scheduler.place(demand(List.of("ssd!=true", "arch=x86_64"), Optional.empty()), hosts).host())
                .contains("b");
        assertThat(Scheduler.place(demand(List.of("name=b"), Optional.empty()), hosts).host()).contains("b");
        assertThat(Scheduler.place(demand(List.of("arch=aarch64"), Optional.empty()), hosts).host()).isEmpty();
    }

    @Test
    void malformedConstraintsAreRefusedByField() {
        assertThatThrownBy(() -> Constraint.parseAll(List.of("ssd")))
                .isInstanceOf(dev.virga.server.http.ApiError.BadInput.class)
                .hasMessageContaining("constraints").hasMessageContaining("'ssd' is not label=value");
    }

    @Test
    void antiAffinityNeedsAHostWithoutMembersAndSaysWhoIsThere() {
        var hosts = List.of(full("a", "active", Map.of(), 0, Set.of("web-1")),
                full("b", "active", Map.of(), 0, Set.of("web-2")), full("c", "active", Map.of(), 0, Set.of()));
        var web = Optional.of(new Scheduler.GroupRule("web", true));
        assertThat(Scheduler.place(demand(List.of(), web), hosts).host()).contains("c");
        var noRoom = Scheduler.place(demand(List.of(), web), hosts.subList(0, 2));
        assertThat(noRoom.host()).isEmpty();
        assertThat(noRoom.explain()).isEqualTo("a: anti-affinity group web: already holds web-1; "
                + "b: anti-affinity group web: already holds web-2");
    }

    @Test
    void affinityFollowsTheFirstMember() {
        var hosts = List.of(full("a", "active", Map.of(), 0, Set.of()), full("b", "active", Map.of(), 8, Set.of("db-1")));
        var db = Optional.of(new Scheduler.GroupRule("db", false));
        var d = Scheduler.place(demand(List.of(), db), hosts);
        assertThat(d.host()).contains("b");
        assertThat(d.explain()).contains("a: affinity group db: its members are on b");
        assertThat(Scheduler.place(demand(List.of(), db), List.of(full("a", "active", Map.of(), 0, Set.of())))
                .host()).contains("a");
    }

    @Test
    void standbyHostsAreWokenOnlyWhenNoActiveHostFits() {
        var busy = full("a", "active", Map.of(), 16, Set.of());
        var sleeping = full("z", "standby", Map.of(), 0, Set.of());
        var d = Scheduler.place(demand(List.of(), Optional.empty()), List.of(busy, sleeping));
        assertThat(d.host()).isEmpty();
        assertThat(d.wake()).contains("z");
        assertThat(d.explain()).contains("z: standby (would fit once woken: score 0.938)");
        var roomy = full("a", "active", Map.of(), 0, Set.of());
        var e = Scheduler.place(demand(List.of(), Optional.empty()), List.of(roomy, sleeping));
        assertThat(e.host()).contains("a");
        assertThat(e.wake()).isEmpty();
        var maintenance = full("m", "maintenance", Map.of(), 0, Set.of());
        assertThat(Scheduler.place(demand(List.of(), Optional.empty()), List.of(maintenance)).explain())
                .isEqualTo("m: in maintenance");
    }
}
