package dev.virga.qemu.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the default {@code tiny} guest image from Debian packages into
 * {@code <imagesDir>/<fingerprint>/}, or returns the one already there. A build happens in a
 * {@code .build-*} directory and is renamed into place only when complete, so an interrupted build
 * never looks finished; downloaded packages are kept in {@code <imagesDir>/.cache/debs}.
 */
public final class TinyImageBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(TinyImageBuilder.class);
  /** FileLock is per process; this keeps two threads of one JVM from tripping over it. */
  private static final ReentrantLock IN_PROCESS = new ReentrantLock();
  private static final String BUILD_PREFIX = ".build-";

  private final Path imagesDir;

  public TinyImageBuilder(Path imagesDir) {
    this.imagesDir = imagesDir.toAbsolutePath().normalize();
  }

  /** The fingerprint of the image the current inputs would produce; asks apt, downloads nothing. */
  public String fingerprint() {
    return fingerprint(packages());
  }

  /** The recipe's packages, from the resolution cache while apt's state is unchanged. */
  private List<DebPackage> packages() {
    ResolutionCache cache = new ResolutionCache(imagesDir.resolve(".cache/resolved-packages.json"));
    String key = ResolutionCache.key(TinyRecipe.packageRoots(), ResolutionCache.APT_STATE);
    return cache.get(key).orElseGet(() -> {
      List<DebPackage> resolved = TinyRecipe.resolvePackages(new AptArchive(HostTools.locate(List.of("apt-cache"))));
      cache.put(key, resolved);
      return resolved;
    });
  }

  static String fingerprint(List<DebPackage> packages) {
    Map<String, String> versions = new TreeMap<>();
    packages.forEach(p -> versions.put(p.name(), p.version() + " " + p.architecture() + " " + p.sha256()));
    return Fingerprint.of(TinyRecipe.settings(), versions, TinyRecipe.resources());
  }

  public BuiltImage build(Consumer<String> progress) {
    progress.accept("resolving Debian packages");
    List<DebPackage> packages = packages();
    String fingerprint = fingerprint(packages);
    Path dir = imagesDir.resolve(fingerprint);
    if (isComplete(dir)) {
      progress.accept("image " + TinyRecipe.NAME + " " + fingerprint + " is already built");
      return new BuiltImage(dir, ImageManifest.read(dir), true);
    }
    HostTools tools = HostTools.locate();
    IN_PROCESS.lock();
    try (FileChannel lockFile = openLockFile(); FileLock ignored = lockFile.lock()) {
      if (isComplete(dir)) { // another process finished it while we waited for the lock
        return new BuiltImage(dir, ImageManifest.read(dir), true);
      }
      removeStaleBuilds();
      setAsideBroken(dir);
      long start = System.nanoTime();
      buildInto(dir, packages, fingerprint, tools, progress);
      LOG.info("built image {} {} in {} ms", TinyRecipe.NAME, fingerprint, (System.nanoTime() - start) / 1_000_000);
      return new BuiltImage(dir, ImageManifest.read(dir), false);
    } catch (IOException e) {
      throw new ImageBuildException("cannot build image " + TinyRecipe.NAME + " in " + imagesDir + ": " + e, e);
    } finally {
      IN_PROCESS.unlock();
    }
  }

  private void buildInto(Path dir, List<DebPackage> packages, String fingerprint, HostTools tools,
      Consumer<String> progress) throws IOException {
    Path build = imagesDir.resolve(BUILD_PREFIX + fingerprint);
    try {
      Path out = Files.createDirectories(build.resolve("out"));
      Path work = Files.createDirectories(build.resolve("work"));
      TinyBuild run = new TinyBuild(tools, new AptArchive(tools), imagesDir.resolve(".cache/debs"), progress);
      ImageManifest manifest = run.run(packages, fingerprint, work, out);
      manifest.write(out);
      // The rename is the commit point: before it there is no <fingerprint> directory at all.
      Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
      progress.accept("image " + TinyRecipe.NAME + " " + fingerprint + " is ready");
    } finally {
      deleteTree(build);
    }
  }

  /** Finished builds always have all their files; anything less was damaged after the fact. */
  private static boolean isComplete(Path dir) {
    if (!Files.isRegularFile(dir.resolve(ImageManifest.FILE_NAME))) {
      return false;
    }
    try {
      BuiltImage image = new BuiltImage(dir, ImageManifest.read(dir), true);
      return Files.isRegularFile(image.disk()) && Files.isRegularFile(image.kernel()) && Files.isRegularFile(image.initrd());
    } catch (ImageBuildException e) {
      return false;
    }
  }

  /**
   * A damaged image directory is renamed, not deleted: instance disks may still use its disk as their
   * backing file.
   */
  private void setAsideBroken(Path dir) throws IOException {
    if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Path aside = imagesDir.resolve(".broken-" + dir.getFileName() + "-" + System.currentTimeMillis());
      LOG.warn("image directory {} is incomplete; moving it to {} and rebuilding", dir, aside);
      Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private FileChannel openLockFile() throws IOException {
    Files.createDirectories(imagesDir);
    return FileChannel.open(imagesDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
  }

  /** Holding the lock, any build directory left over belongs to a build that died. */
  private void removeStaleBuilds() throws IOException {
    try (Stream<Path> entries = Files.list(imagesDir)) {
      for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(BUILD_PREFIX)).toList()) {
        LOG.info("removing unfinished image build {}", p);
        deleteTree(p);
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
