package dev.virga.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's main path with the real command: {@code virga demo} starts Virga in the background, registers the
 * image, launches VMs and shows them; {@code virga down} stops the VMs and Virga and leaves no QEMU behind.
 */
class DemoIT {
    @TempDir
    Path home;

    @Test
    void demoLaunchesRunningVmsAndDownTearsEverythingDown() throws Exception {
        SharedImage.linkInto(home);
        try {
            var demo = virga("demo", "--count", "2", "--port", "0", "--accel", "tcg");
            assertThat(demo.exit()).as(demo.toString()).isZero();
            assertThat(demo.out()).contains("==> Virga is up at http://127.0.0.1:")
                    .containsPattern("demo-1\\s+running\\s+tiny\\s+local")
                    .containsPattern("demo-2\\s+running\\s+tiny\\s+local")
                    .contains("./virga console demo-1").contains("./virga down");
            assertThat(qemus()).hasSize(2);

            var exec = virga("exec", "demo-2", "--", "hostname");
            assertThat(exec.out()).isEqualTo("demo-2\n");

            var down = virga("down");
            assertThat(down.exit()).as(down.toString()).isZero();
            assertThat(down.out()).contains("stopped demo-1").contains("stopped demo-2").contains("Virga is down");
            assertThat(qemus()).isEmpty();
            assertThat(home.resolve("up.json")).doesNotExist();
            var list = virga("list");
            assertThat(list.exit()).isEqualTo(1);
            assertThat(list.err()).contains("Virga is not running").contains("./virga up");
        } finally {
            virga("down", "--timeout", "1");
            qemus().forEach(ProcessHandle::destroyForcibly);
        }
    }

    private CliResult virga(String... args) throws Exception {
        var cmd = new ArrayList<>(List.of(VirgaUp.java(), "-jar", VirgaUp.JAR.toString()));
        cmd.addAll(List.of(args));
        var pb = new ProcessBuilder(cmd);
        pb.environment().put("VIRGA_HOME", home.toString());
        var log = Files.createTempFile("demo", ".err");
        var p = pb.redirectError(log.toFile()).start();
        var out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        var err = Files.readString(log);
        Files.delete(log);
        return new CliResult(p.exitValue(), out, err);
    }

    private List<ProcessHandle> qemus() {
        return ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                .map(c -> c.contains("qemu-system") && c.contains(home + "/")).orElse(false)).toList();
    }
}
