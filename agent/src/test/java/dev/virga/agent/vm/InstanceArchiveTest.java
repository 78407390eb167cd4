package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InstanceArchiveTest {
    @TempDir
    Path dir;

    @Test
    void aDirectoryRoundTripsByteForByte() throws Exception {
        var from = Files.createDirectories(dir.resolve("from"));
        var big = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(big);
        Files.write(from.resolve("disk.qcow2"), big);
        Files.writeString(from.resolve("vm.json"), "{}");
        Files.writeString(from.resolve("chain.json"), "{}");
        Files.writeString(from.resolve("vm.json.tmp"), "half");
        var out = new ByteArrayOutputStream();

        InstanceArchive.write(from, out);
        var to = Files.createDirectories(dir.resolve("to"));
        InstanceArchive.read(new ByteArrayInputStream(out.toByteArray()), to);

        assertThat(Files.readAllBytes(to.resolve("disk.qcow2"))).isEqualTo(big);
        assertThat(Files.readString(to.resolve("vm.json"))).isEqualTo("{}");
        assertThat(to.resolve("vm.json.tmp")).doesNotExist();
    }

    @Test
    void pathsAndMissingDefinitionsAreRefused() throws Exception {
        var out = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(out)) {
            var e = new TarArchiveEntry("../evil");
            e.setSize(1);
            tar.putArchiveEntry(e);
            tar.write('x');
            tar.closeArchiveEntry();
        }
        var to = Files.createDirectories(dir.resolve("to"));
        assertThatThrownBy(() -> InstanceArchive.read(new ByteArrayInputStream(out.toByteArray()), to))
                .isInstanceOf(AgentError.class).hasMessageContaining("member '../evil' is not a plain file");
        assertThat(dir.resolve("evil")).doesNotExist();
    }
}
