package dev.virga.it;

import dev.virga.api.CopyRequest;
import dev.virga.api.OperationStatus;
import dev.virga.client.ApiException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** Linked copies from snapshots on real guests: isolation of writes, memory resume, and protected bases. */
class CopyIT {
    @TempDir
    static Path home;
    static VirgaUp virga;

    /** One Virga for the class (a new one per test cost ~10 s); each test gets fresh instances. */
    @BeforeAll
    static void up() throws Exception {
        virga = VirgaUp.withTinyImage(home);
    }

    @AfterAll
    static void down() throws Exception {
        virga.close();
    }

    @BeforeEach
    void fresh() throws Exception {
        virga.launch("master");
    }

    @AfterEach
    void clean() throws Exception {
        virga.reset();
    }

    @Test
    void copiesSeeTheSnapshotAndNeverEachOthersWrites() throws Exception {
        exec("master", "printf base > /root/f && sync");
        assertThat(virga.cli("snapshot", "create", "master", "gold").exit()).isZero();
        exec("master", "printf master-after > /root/f && sync");

        var c1 = virga.cli("copy", "master/gold", "c1", "--stateless");
        assertThat(c1.exit()).as(c1.toString()).isZero();
        assertThat(c1.out()).contains("c1 is running, a copy of master/gold (booted from its disk)");
        assertThat(virga.cli("copy", "master/gold", "c2").exit()).isZero();

        assertThat(read("c1", "/root/f")).isEqualTo("base");
        assertThat(read("c2", "/root/f")).isEqualTo("base");
        exec("c1", "printf c1 > /root/f && sync");
        exec("c2", "printf c2 > /root/g && sync");
        assertThat(read("c1", "/root/f")).isEqualTo("c1");
        assertThat(read("c2", "/root/f")).isEqualTo("base");
        assertThat(virga.cli("exec", "c1", "--", "test", "-e", "/root/g").exit()).isEqualTo(1);
        assertThat(read("master", "/root/f")).isEqualTo("master-after");
        assertThat(read("c1", "/etc/hostname").strip()).isEqualTo("c1");

        // a copy's disk is a delta: it holds only what the copy wrote
        assertThat(Files.size(home.resolve("instances/c1/disk.qcow2"))).isLessThan(4L << 20);

        var e = catchThrowableOfType(ApiException.class, () -> virga.client().deleteSnapshot("master", "gold"));
        assertThat(e.code()).isEqualTo(409);
        assertThat(e.getMessage()).contains("is the base of c1, c2");
        var d = virga.cli("delete", "master", "--force");
        assertThat(d.exit()).isEqualTo(1);
        assertThat(d.err()).contains("'master' is the base of c1, c2");

        assertThat(virga.cli("delete", "c1", "--force").exit()).isZero();
        assertThat(virga.cli("delete", "c2", "--force").exit()).isZero();
        var del = virga.client().await(virga.client().deleteSnapshot("master", "gold"), o -> { });
        assertThat(del.status()).as(del.error()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(read("master", "/root/f")).isEqualTo("master-after");
    }

    @Test
    void copyingARunningVmResumesItsMemoryInTheCopy() throws Exception {
        exec("master", "setsid sh -c 'i=0; while true; do i=$((i+1)); echo $i > /run/counter; sleep 0.1; done' "
                + "</dev/null >/dev/null 2>&1 &");
        await().atMost(Duration.ofSeconds(10)).until(() -> counter("master") > 10);
        var copy = virga.cli("copy", "master", "twin");
        assertThat(copy.exit()).as(copy.toString()).isZero();
        assertThat(copy.out()).contains("twin is running, a copy of master/copy-twin (resumed from its memory)");
        // the counter exists only in memory (/run is tmpfs): the twin has it, and it goes on counting there
        long first = counter("twin");
        assertThat(first).isPositive();
        await().atMost(Duration.ofSeconds(10)).until(() -> counter("twin") > first);
        assertThat(virga.client().snapshots("master")).extracting(s -> s.name()).contains("copy-twin");
    }

    @Test
    void publishTurnsAVmIntoAnImageThatLaunches() throws Exception {
        exec("master", "printf configured > /root/setup && sync");
        var pub = virga.cli("publish", "master", "--alias", "web-template");
        assertThat(pub.exit()).as(pub.toString()).isZero();
        assertThat(pub.out()).contains("image web-template published from master");
        var image = virga.client().image("web-template");
        assertThat(image.source()).isEqualTo("published from master");
        // the snapshot taken for it is gone again; the image does not depend on the VM
        assertThat(virga.client().snapshots("master")).isEmpty();
        assertThat(virga.cli("launch", "web-template", "web1").exit()).isZero();
        assertThat(read("web1", "/root/setup")).isEqualTo("configured");
        assertThat(read("web1", "/etc/hostname").strip()).isEqualTo("web1");

        assertThat(virga.cli("snapshot", "create", "master", "v2").exit()).isZero();
        var clash = virga.cli("publish", "master/v2", "--alias", "web-template");
        assertThat(clash.exit()).isEqualTo(1);
        assertThat(clash.err()).contains("image 'web-template' already exists");
        var missing = virga.cli("publish", "master/nope", "--alias", "other");
        assertThat(missing.err()).contains("snapshot 'master/nope' not found");
        assertThat(virga.cli("publish", "master/v2", "--alias", "web-v2").exit()).isZero();
        assertThat(virga.client().image("web-v2").source()).isEqualTo("published from master/v2");
        // deleting the VM does not break images published from it
        assertThat(virga.cli("delete", "master", "--force").exit()).isZero();
        assertThat(virga.cli("launch", "web-v2", "web2").exit()).isZero();
        assertThat(read("web2", "/root/setup")).isEqualTo("configured");
    }

    @Test
    void badCopiesAreRefused() throws Exception {
        var client = virga.client();
        assertError(() -> client.copy("ghost", new CopyRequest("x", "", false)), 404, "instance 'ghost' not found");
        assertError(() -> client.copy("master", new CopyRequest("x", "nope", false)), 404,
                "snapshot 'master/nope' not found");
        assertError(() -> client.copy("master", new CopyRequest("master", "", false)), 409,
                "instance 'master' already exists");
        assertError(() -> client.copy("master", new CopyRequest("Bad!", "", false)), 400, "name: 'Bad!'");
        assertThat(client.instances()).hasSize(1);
        assertThat(client.snapshots("master")).isEmpty();
    }

    private void assertError(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, int code, String message) {
        var e = catchThrowableOfType(ApiException.class, call);
        assertThat(e).as("expected a " + code).isNotNull();
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.getMessage()).contains(message);
    }

    private void exec(String vm, String script) throws Exception {
        var r = virga.exec(vm, script);
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    private String read(String vm, String file) throws Exception {
        var r = virga.exec(vm, "cat " + file);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.out();
    }

    private long counter(String vm) throws Exception {
        var r = virga.exec(vm, "cat /run/counter");
        return r.exit() == 0 ? Long.parseLong(r.out().strip()) : -1;
    }
}
