package dev.virga.qemu.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virga.qemu.ga.GuestAgentClient;
import dev.virga.qemu.ga.GuestAgentTimeoutException;
import dev.virga.qemu.img.QemuImg;
import dev.virga.qemu.qmp.EventWaiter;
import dev.virga.qemu.qmp.QmpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The generated command line against the real qemu-system-x86_64, paused before any guest code runs. */
@Timeout(30)
class RealQemuSmokeTest {
    private static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

    @TempDir
    Path dir;

    @Test
    void qemuAcceptsTheCommandLineAndAnswersQmp() throws Exception {
        assertThat(Files.isExecutable(QEMU)).as("qemu-system-x86 must be installed (./virga test installs it)").isTrue();
        var config = QemuCommandLineTest.tiny(dir, Optional.empty(), Optional.empty(), "");
        new QemuImg().createOverlay(writeBase(), "qcow2", config.disk(), OptionalLong.empty());
        List<String> command = QemuCommandLine.build(QEMU, config);
        Process qemu = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.out").toFile()).start();
        try (var qmp = QmpClient.connect(config.paths().qmpSocket(), Duration.ofSeconds(10))) {
            assertThat(qmp.version().major()).isGreaterThanOrEqualTo(7);
            assertThat(qmp.status()).isEqualTo("prelaunch");
            assertThat(Files.readString(config.paths().pidFile()).strip()).isEqualTo(String.valueOf(qemu.pid()));

            List<String> nodes = new ArrayList<>();
            for (JsonNode node : qmp.execute("query-named-block-nodes")) {
                nodes.add(node.path("node-name").asText());
            }
            assertThat(nodes).contains("vda", "vda-file");
            assertThat(qmp.execute("qom-get", java.util.Map.of("path", "/machine/peripheral/net0-dev", "property", "mac"))
                    .asText()).isEqualTo(config.macAddress());

            // The chardev accepts us, but with no guest running nobody answers the sync.
            assertThatThrownBy(() -> GuestAgentClient.connect(config.paths().guestAgentSocket(), Duration.ofMillis(300)))
                    .isInstanceOf(GuestAgentTimeoutException.class);

            EventWaiter shutdown = qmp.expectEvent(e -> e.is("SHUTDOWN"));
            qmp.quit();
            assertThat(shutdown.await(Duration.ofSeconds(5)).data().path("reason").asText()).isEqualTo("host-qmp-quit");
            qmp.closed().get(5, TimeUnit.SECONDS);
        } finally {
            if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                qemu.destroyForcibly();
            }
        }
        assertThat(qemu.exitValue()).as(Files.readString(dir.resolve("qemu.out"))).isZero();
    }

    private Path writeBase() {
        Path base = dir.resolve("base.qcow2");
        var img = new QemuImg();
        Path raw = dir.resolve("base.raw");
        try {
            Files.write(raw, new byte[1024 * 1024]);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        img.convert(raw, "raw", base, "qcow2");
        return base;
    }
}
