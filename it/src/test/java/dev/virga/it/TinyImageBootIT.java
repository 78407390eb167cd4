package dev.virga.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virga.qemu.accel.Accelerator;
import dev.virga.qemu.accel.AcceleratorProbe;
import dev.virga.qemu.accel.ProbeResult;
import dev.virga.qemu.image.BuiltImage;
import dev.virga.qemu.image.TinyImageBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds the tiny image from Debian packages and boots it under plain QEMU (TCG): the real
 * qemu-guest-agent answers over virtio-serial, runs commands, freezes the root filesystem, shuts
 * the guest down; ACPI power-off works; the root filesystem grows to a bigger disk.
 */
class TinyImageBootIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration BOOT_LIMIT = Duration.ofSeconds(60);
  private static Path cacheDir;
  private static BuiltImage image;

  @BeforeAll
  static void buildImage() {
    String configured = System.getProperty("VIRGA_IMAGE_CACHE", System.getenv("VIRGA_IMAGE_CACHE"));
    cacheDir = Path.of(configured != null ? configured : "target/virga-images").toAbsolutePath();
    long start = System.nanoTime();
    image = new TinyImageBuilder(cacheDir).build(line -> System.out.println("[image] " + line));
    System.out.printf("[image] %s build took %d ms (cached=%s)%n", image.dir(),
        (System.nanoTime() - start) / 1_000_000, image.cached());
  }

  @Test
  void aSecondBuildIsACacheHitWithTheSameFingerprint() throws IOException {
    long start = System.nanoTime();
    TinyImageBuilder builder = new TinyImageBuilder(cacheDir);
    BuiltImage again = builder.build(line -> { });
    assertThat(again.cached()).isTrue();
    assertThat(again.manifest().fingerprint()).isEqualTo(image.manifest().fingerprint()).isEqualTo(builder.fingerprint());
    assertThat(again.dir()).isEqualTo(image.dir());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    assertThat(image.manifest().name()).isEqualTo("tiny");
    assertThat(image.manifest().packages()).containsKeys("qemu-guest-agent", "busybox-static", "libglib2.0-0", "e2fsprogs")
        .containsKey("linux-image-" + image.manifest().kernelRelease());
    for (Path p : List.of(image.disk(), image.kernel(), image.initrd())) {
      assertThat(p).isRegularFile();
    }
    try (var entries = Files.list(cacheDir)) {
      assertThat(entries.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".build-"));
    }
  }

  @Test
  void theRealGuestAgentAnswersRunsCommandsFreezesAndShutsDown(@TempDir Path dir) throws Exception {
    // A disk bigger than the image: the guest must grow its root filesystem at boot.
    try (Guest guest = Guest.boot(image, dir, "512M", "virga.hostname=it-vm", false)) {
      Agent agent = guest.agent();
      assertThat(agent.call("guest-ping", null)).isNotNull();
      assertThat(agent.call("guest-info", null).path("version").asText()).startsWith("7.2.");
      JsonNode os = agent.call("guest-get-osinfo", null);
      assertThat(os.path("id").asText()).isEqualTo("virga-tiny");
      assertThat(os.path("kernel-release").asText()).isEqualTo(image.manifest().kernelRelease());
      assertThat(agent.call("guest-get-host-name", null).path("host-name").asText()).isEqualTo("it-vm");

      Exec hi = agent.exec("/bin/sh", "-c", "echo hi; echo err >&2; exit 3");
      assertThat(hi.exitCode()).isEqualTo(3);
      assertThat(hi.out()).isEqualTo("hi\n");
      assertThat(hi.err()).isEqualTo("err\n");

      assertRootGrowsBeyond(agent, 400L * 1024 * 1024);

      assertThat(agent.call("guest-fsfreeze-freeze", null).asInt()).isEqualTo(1);
      assertThat(agent.call("guest-fsfreeze-status", null).asText()).isEqualTo("frozen");
      assertThat(agent.call("guest-fsfreeze-thaw", null).asInt()).isEqualTo(1);
      assertThat(agent.call("guest-fsfreeze-status", null).asText()).isEqualTo("thawed");
      assertThat(agent.exec("/bin/sh", "-c", "echo after-thaw > /root/f && cat /root/f").out()).isEqualTo("after-thaw\n");

      agent.send("guest-shutdown", null); // answers nothing on success: the guest just goes away
      guest.awaitExit(Duration.ofSeconds(30));
      assertThat(guest.process.exitValue()).as(guest.serial()).isZero();
    }
  }

  @Test
  void qmpSystemPowerdownPowersTheGuestOff(@TempDir Path dir) throws Exception {
    try (Guest guest = Guest.boot(image, dir, null, "", true)) {
      guest.agent(); // booted far enough for acpid to run
      try (SocketChannel qmp = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("qmp.sock")))) {
        Lines lines = new Lines(qmp);
        assertThat(lines.next(Duration.ofSeconds(5))).contains("\"QMP\"");
        Lines.write(qmp, "{\"execute\":\"qmp_capabilities\"}");
        Lines.write(qmp, "{\"execute\":\"system_powerdown\"}");
        String shutdown = lines.until(l -> l.contains("\"SHUTDOWN\""), Duration.ofSeconds(20));
        assertThat(shutdown).as(guest.serial()).contains("\"guest\": true").contains("guest-shutdown");
      }
      guest.awaitExit(Duration.ofSeconds(10));
    }
  }

  @Test
  void theAcceleratorProbeDecidesWithinItsBoundAndLeavesNoQemu() {
    Duration bound = Duration.ofSeconds(10);
    ProbeResult r = AcceleratorProbe.probe(image.kernel(), image.initrd(), bound);
    System.out.println("[probe] " + r);
    assertThat(r.took()).isLessThan(bound.plusSeconds(6));
    if (r.accelerator() == Accelerator.TCG) {
      assertThat(r.reason()).endsWith("using tcg");
    }
    assertThat(ProcessHandle.current().descendants()
        .filter(p -> p.info().commandLine().orElse("").contains(image.kernel().toString()))).isEmpty();
  }

  private static void assertRootGrowsBeyond(Agent agent, long bytes) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long total = 0;
    while (System.nanoTime() < deadline) {
      JsonNode fs = agent.call("guest-get-fsinfo", null);
      for (JsonNode f : fs) {
        if (f.path("mountpoint").asText().equals("/")) {
          total = f.path("total-bytes").asLong();
        }
      }
      if (total > bytes) {
        return;
      }
      Thread.sleep(500);
    }
    assertThat(total).as("root filesystem size after resize2fs").isGreaterThan(bytes);
  }

  /** One QEMU process booting the image with the flags of the platform's defaults, minus a NIC. */
  record Guest(Process process, Path dir) implements AutoCloseable {
    static Guest boot(BuiltImage image, Path dir, String diskSize, String extraAppend, boolean qmp) throws Exception {
      Path overlay = dir.resolve("disk.qcow2");
      List<String> create = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b",
          image.disk().toString(), "-F", "qcow2", overlay.toString()));
      if (diskSize != null) {
        create.add(diskSize);
      }
      assertThat(new ProcessBuilder(create).inheritIO().start().waitFor()).isZero();
      List<String> argv = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-machine", "pc",
          "-m", "256", "-smp", "1", "-no-user-config", "-nodefaults", "-display", "none",
          "-kernel", image.kernel().toString(), "-initrd", image.initrd().toString(),
          "-append", (image.manifest().cmdline() + " " + extraAppend).strip(),
          "-blockdev", "driver=file,filename=" + overlay + ",node-name=vda-file",
          "-blockdev", "driver=qcow2,file=vda-file,node-name=vda",
          "-device", "virtio-blk-pci,drive=vda,id=vda-dev",
          "-device", "virtio-serial-pci,id=vser0",
          "-chardev", "socket,id=ga0,path=" + dir.resolve("ga.sock") + ",server=on,wait=off",
          "-device", "virtserialport,chardev=ga0,name=org.qemu.guest_agent.0,id=gaport",
          "-serial", "file:" + dir.resolve("serial.log")));
      if (qmp) {
        argv.addAll(List.of("-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off"));
      }
      Process p = new ProcessBuilder(argv).redirectErrorStream(true)
          .redirectOutput(dir.resolve("qemu.out").toFile()).start();
      return new Guest(p, dir);
    }

    /** Connects to the guest agent and syncs; prints how long the guest took to answer. */
    Agent agent() throws Exception {
      long start = process.info().startInstant().map(i -> i.toEpochMilli()).orElse(System.currentTimeMillis());
      Path sock = dir.resolve("ga.sock");
      long deadline = System.nanoTime() + BOOT_LIMIT.toNanos();
      while (!Files.exists(sock)) {
        assertThat(process.isAlive()).as("qemu exited: " + qemuOutput()).isTrue();
        assertThat(System.nanoTime()).as("no guest-agent socket").isLessThan(deadline);
        Thread.sleep(20);
      }
      Agent agent = new Agent(SocketChannel.open(UnixDomainSocketAddress.of(sock)));
      agent.sync(deadline, this);
      System.out.printf("[boot] guest agent ready %d ms after QEMU started%n", System.currentTimeMillis() - start);
      return agent;
    }

    void awaitExit(Duration limit) throws InterruptedException {
      assertThat(process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)).as("QEMU still running; serial: " + serial())
          .isTrue();
    }

    String serial() {
      try {
        return Files.readString(dir.resolve("serial.log"));
      } catch (IOException e) {
        return "(no serial log: " + e + ")";
      }
    }

    String qemuOutput() {
      try {
        return Files.readString(dir.resolve("qemu.out"));
      } catch (IOException e) {
        return e.toString();
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  record Exec(int exitCode, String out, String err) {}

  /** The QEMU guest-agent protocol over the host end of the virtio-serial port: JSON lines. */
  static final class Agent {
    private final SocketChannel channel;
    private final Lines lines;

    Agent(SocketChannel channel) {
      this.channel = channel;
      this.lines = new Lines(channel);
    }

    /**
     * guest-sync-delimited until the agent echoes our id: replies left over from earlier clients and
     * syncs sent before the guest agent started are skipped.
     */
    void sync(long deadlineNanos, Guest guest) throws Exception {
      for (int id = 1000; ; id++) {
        assertThat(System.nanoTime()).as("guest agent did not answer; serial: " + guest.serial()).isLessThan(deadlineNanos);
        assertThat(guest.process().isAlive()).as("qemu exited: " + guest.qemuOutput() + guest.serial()).isTrue();
        send("guest-sync-delimited", Map.of("id", id));
        long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (System.nanoTime() < until) {
          String line = lines.next(Duration.ofMillis(200));
          // Only the latest id counts: earlier syncs are answered before it, later replies would be misread.
          if (line != null && JSON.readTree(line).path("return").asLong(-1) == id) {
            return;
          }
        }
      }
    }

    void send(String command, Map<String, ?> arguments) throws IOException {
      Map<String, Object> msg = arguments == null ? Map.of("execute", command) : Map.of("execute", command, "arguments", arguments);
      Lines.write(channel, JSON.writeValueAsString(msg));
    }

    JsonNode call(String command, Map<String, ?> arguments) throws Exception {
      send(command, arguments);
      String line = lines.next(Duration.ofSeconds(20));
      assertThat(line).as("reply to " + command).isNotNull();
      JsonNode reply = JSON.readTree(line);
      assertThat(reply.has("error")).as(command + " -> " + line).isFalse();
      return reply.path("return");
    }

    Exec exec(String path, String... args) throws Exception {
      long pid = call("guest-exec", Map.of("path", path, "arg", List.of(args), "capture-output", true)).path("pid").asLong();
      for (int i = 0; i < 200; i++) {
        JsonNode s = call("guest-exec-status", Map.of("pid", pid));
        if (s.path("exited").asBoolean()) {
          return new Exec(s.path("exitcode").asInt(), decode(s.path("out-data")), decode(s.path("err-data")));
        }
        Thread.sleep(50);
      }
      throw new AssertionError("guest-exec of " + path + " did not finish");
    }

    private static String decode(JsonNode b64) {
      return new String(Base64.getDecoder().decode(b64.asText("")), StandardCharsets.UTF_8);
    }
  }

  /** Lines read from a channel by a virtual thread; 0xFF (the agent's sync delimiter) ends a line too. */
  static final class Lines {
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

    Lines(SocketChannel channel) {
      Thread.ofVirtual().start(() -> {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try {
          while (channel.read(buf.clear()) > 0) {
            for (int i = 0; i < buf.position(); i++) {
              byte b = buf.get(i);
              if (b == '\n' || b == (byte) 0xff) {
                String s = line.toString(StandardCharsets.UTF_8).strip();
                if (!s.isEmpty()) {
                  queue.add(s);
                }
                line.reset();
              } else {
                line.write(b);
              }
            }
          }
        } catch (IOException e) {
          // channel closed: the guest or the test is done
        }
      });
    }

    String next(Duration timeout) throws InterruptedException {
      return queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    String until(java.util.function.Predicate<String> match, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (String l; (l = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null; ) {
        if (match.test(l)) {
          return l;
        }
      }
      return null;
    }

    static void write(SocketChannel channel, String json) throws IOException {
      ByteBuffer b = ByteBuffer.wrap((json + "\n").getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }
  }
}
