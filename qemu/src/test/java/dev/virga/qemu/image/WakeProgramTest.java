package dev.virga.qemu.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wake program is a real x86-64 executable that the kernel loads and runs here as in the guest. Here it is only
 * given input it must refuse, so the test neither sets this machine's clock nor touches its random pool; that it
 * does both in a guest is WarmLaunchIT's to show (ten resumed VMs, ten clocks within a second, ten different
 * random streams).
 */
class WakeProgramTest {
  @TempDir Path dir;

  @Test
  void isAnExecutableThatRefusesAShortInput() throws Exception {
    var program = dir.resolve("wake");
    Files.write(program, WakeProgram.elf());
    Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(run(program, new byte[0])).as("nothing on stdin").isEqualTo(1);
    assertThat(run(program, new byte[16])).as("a timeval without random bytes").isEqualTo(1);
    assertThat(WakeProgram.elf()).hasSize(309).startsWith(0x7f, 'E', 'L', 'F');
  }

  private static int run(Path program, byte[] stdin) throws Exception {
    var p = new ProcessBuilder(program.toString()).redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(stdin);
    }
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }
}
