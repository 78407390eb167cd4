package dev.virga.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

/** Commands in `tiny` guests of a {@link Cluster} (through `virga exec`) and the network checks built on them. */
final class GuestNet {
    private GuestNet() {
    }

    static void ok(CliResult r) {
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    /** Through the API: these checks look into the guests again and again (see {@link GuestExec}). */
    static CliResult exec(Cluster cluster, String vm, String command) throws Exception {
        return cluster.exec(vm, command);
    }

    static void ping(Cluster cluster, String from, String to) throws Exception {
        ping(cluster, from, to, true);
    }

    static void ping(Cluster cluster, String from, String to, boolean answered) throws Exception {
        var r = exec(cluster, from, "ping -c 3 -W 3 " + to);
        if (answered) {
            assertThat(r.exit()).as(from + " -> " + to + ": " + r).isZero();
        } else {
            assertThat(r.exit()).as(from + " -> " + to + " must get no answer: " + r).isNotZero();
        }
    }

    /** 256 KiB of random bytes from {@code from} to {@code to} over TCP (busybox nc); the checksums match. */
    static void transfer(Cluster cluster, String from, String to, String toIp) throws Exception {
        ok(exec(cluster, to, "rm -f /tmp/got; (sleep 300 | nc -l -p 5000 > /tmp/got) > /dev/null 2>&1 < /dev/null &"));
        ok(exec(cluster, from, "dd if=/dev/urandom of=/tmp/data bs=1024 count=256 2>/dev/null"));
        var sent = exec(cluster, from, "md5sum < /tmp/data").out().strip();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                ok(exec(cluster, from, "nc " + toIp + " 5000 < /tmp/data")));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(exec(cluster, to, "md5sum < /tmp/got").out().strip()).isEqualTo(sent));
        exec(cluster, to, "kill $(pidof sleep) 2>/dev/null; true");
    }
}
