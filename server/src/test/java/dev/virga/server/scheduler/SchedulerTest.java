package dev.virga.server.scheduler;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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
                host("b", 16, 0, false, true), host("c", 16, 0, true, false)));
        assertThat(d.host()).isEmpty();
        assertThat(d.explain()).isEqualTo("a: not enough memory: 14336 MiB of 16384 MiB allocated, 4096 MiB more "
                + "asked; b: offline; c: does not hold image aaaaaaaaaaaa");
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
        var checked = Scheduler.place(new Scheduler.Demand(1, 4 * GIB, IMAGE), hosts, "b", false);
        assertThat(checked.host()).isEmpty();
        assertThat(checked.explain()).startsWith("a: not the target b; b: not enough memory");
        var forced = Scheduler.place(new Scheduler.Demand(1, 4 * GIB, IMAGE), hosts, "b", true);
        assertThat(forced.host()).contains("b");
        assertThat(forced.explain()).contains("b: score 0.000");
        var offline = List.of(host("b", 16, 0, false, true));
        assertThat(Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), offline, "b", true).host()).isEmpty();
    }
}
