package dev.virga.it;

import dev.virga.api.InstanceState;
import dev.virga.api.OperationStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cold moves between two real agents: a running VM with a snapshot moves with its data and snapshot, comes back
 * running, and leaves nothing on the old host; bad requests are refused; evacuate empties a host; a standby host
 * is woken by a launch only it can take.
 */
class MoveIT {
    @TempDir
    Path dir;

    @Test
    void aVmMovesWithItsDiskAndSnapshotsAndAHostIsEvacuated() throws Exception {
        try (var cluster = Cluster.start(dir)) {
            var client = cluster.client;
            cluster.join("h1");
            cluster.join("h2");
            assertThat(cluster.cli("image", "build", "tiny").exit()).isZero();
            var launch = cluster.cli("launch", "tiny", "vm", "--target", "h1");
            assertThat(launch.exit()).as(launch.toString()).isZero();
            write(cluster, "/root/before", "A");
            assertThat(cluster.cli("snapshot", "create", "vm", "s1").exit()).isZero();
            write(cluster, "/root/after", "B");

            // refused: the same host, an unknown one
            var same = cluster.cli("move", "vm", "--target", "h1");
            assertThat(same.exit()).isEqualTo(1);
            assertThat(same.err()).contains("target: 'vm' is already on h1");
            assertThat(cluster.cli("move", "vm", "--target", "nope").err()).contains("host 'nope' not found");
            assertThat(client.instance("vm").state()).isEqualTo(InstanceState.RUNNING);

            var move = cluster.cli("move", "vm");
            assertThat(move.exit()).as(move.toString()).isZero();
            assertThat(move.out()).contains("vm moved from h1 to h2");

            var vm = client.instance("vm");
            assertThat(vm.host()).isEqualTo("h2");
            assertThat(vm.state()).isEqualTo(InstanceState.RUNNING);
            assertThat(read(cluster, "/root/before") + read(cluster, "/root/after")).isEqualTo("AB");
            assertThat(Files.exists(dir.resolve("h1/instances/vm"))).isFalse();
            assertThat(Files.isDirectory(dir.resolve("h2/instances/vm"))).isTrue();
            assertThat(client.snapshots("vm")).extracting(s -> s.name()).containsExactly("s1");
            // the moved chain works: restoring the snapshot on the new host brings back its content
            var restore = cluster.cli("snapshot", "restore", "vm", "s1", "--force");
            assertThat(restore.exit()).as(restore.toString()).isZero();
            assertThat(read(cluster, "/root/before")).isEqualTo("A");
            assertThat(cluster.cli("exec", "vm", "--", "test", "-e", "/root/after").exit()).isEqualTo(1);

            // a stopped VM moves and stays stopped
            assertThat(cluster.cli("stop", "vm").exit()).isZero();
            var evacuate = cluster.cli("host", "evacuate", "h2");
            assertThat(evacuate.exit()).as(evacuate.toString()).isZero();
            assertThat(evacuate.out()).contains("host h2 is empty").contains("vm=h1");
            assertThat(client.instance("vm").host()).isEqualTo("h1");
            assertThat(client.instance("vm").state()).isEqualTo(InstanceState.STOPPED);
            assertThat(client.host("h2").mode()).isEqualTo("maintenance");
            assertThat(client.host("h2").instances()).isEmpty();
            assertThat(Files.exists(dir.resolve("h2/instances/vm"))).isFalse();
            assertThat(cluster.cli("start", "vm").exit()).isZero();
            assertThat(read(cluster, "/root/before")).isEqualTo("A");

            // standby: the empty h2 sleeps (its agent refuses VMs) until a launch only it can take wakes it
            assertThat(cluster.cli("host", "activate", "h2").exit()).isZero();
            var standby = cluster.cli("host", "standby", "h2");
            assertThat(standby.out()).contains("host h2 is online, mode standby");
            assertThat(Files.exists(dir.resolve("h2/standby"))).isTrue();
            var woken = cluster.cli("launch", "tiny", "w", "--constraint", "name=h2");
            assertThat(woken.exit()).as(woken.toString()).isZero();
            assertThat(client.instance("w").host()).isEqualTo("h2");
            assertThat(client.host("h2").mode()).isEqualTo("active");
            assertThat(Files.exists(dir.resolve("h2/standby"))).isFalse();
            assertThat(client.events(0)).anySatisfy(e -> assertThat(e.type()).isEqualTo("host-woken"));
            assertThat(client.await(client.delete("vm", true), o -> { }).status()).isEqualTo(OperationStatus.SUCCESS);
        }
    }

    private static void write(Cluster cluster, String file, String content) throws Exception {
        var r = cluster.exec("vm", "printf %s '" + content + "' > " + file + " && sync");
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private static String read(Cluster cluster, String file) throws Exception {
        var r = cluster.exec("vm", "cat " + file);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out();
    }
}
