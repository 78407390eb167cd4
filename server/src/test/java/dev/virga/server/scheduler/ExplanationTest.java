package dev.virga.server.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplanationTest {
    private static final long GIB = 1L << 30;
    private static final String IMAGE = "a".repeat(64);

    @Test
    void aLargeClusterIsSummedUpWithTheBestHostsAndEachKindOfRejectionCounted() {
        var hosts = new ArrayList<Scheduler.HostState>();
        for (int i = 0; i < 10_000; i++) {
            var name = String.format("h%05d", i);
            boolean online = i % 100 != 0;
            boolean image = i % 250 != 1;
            long allocated = i % 10 == 5 ? 16 * GIB : (i % 7) * GIB;
            hosts.add(new Scheduler.HostState(name, online, 8, 16 * GIB, 0, allocated, image));
        }
        var d = Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), hosts);

        var text = d.explain();
        assertThat(d.host()).contains("h00007");
        // the 40 hosts without the image fit too (an online host can send it), scored lower
        assertThat(text).startsWith("10000 hosts, 8900 fit (best: h00007 score 0.938, h00014 score 0.938, "
                + "h00021 score 0.938)");
        assertThat(text).contains("; 100 offline (e.g. h00000: offline)")
                .contains("; 1000 not enough memory (e.g. h00005: not enough memory: 16384 MiB of 16384 MiB "
                        + "allocated, 1024 MiB more asked)");
        assertThat(text.length()).isLessThan(500);
        assertThat(d.candidates()).hasSize(10_000);
    }

    @Test
    void aSmallClusterStillNamesEveryHost() {
        var hosts = List.of(new Scheduler.HostState("a", true, 4, 16 * GIB, 0, 0, true),
                new Scheduler.HostState("b", false, 4, 16 * GIB, 0, 0, true));
        assertThat(Scheduler.place(new Scheduler.Demand(1, GIB, IMAGE), hosts).explain())
                .isEqualTo("a: score 0.938; b: offline");
    }
}
