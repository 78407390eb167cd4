package dev.virga.agent.vm;

import dev.virga.agent.storage.Trees;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The warm states of this host's images, in {@code images/<fingerprint>/warm/<shape>/}: one per vCPU count and
 * memory size. A new one is made in a {@code .new-*} directory beside them and renamed into place, so a launch
 * sees either a complete state or none; launches read under a shared lock that replacing or deleting takes
 * exclusively, so a disk and a memory state of two different saves never meet.
 */
final class WarmStates {
    private static final Logger LOG = LoggerFactory.getLogger(WarmStates.class);
    static final String DIR = "warm";
    private static final String NEW = ".new-";
    private final Path images;
    private final Path runRoot;
    private final ConcurrentHashMap<String, ReentrantReadWriteLock> locks = new ConcurrentHashMap<>();

    WarmStates(Path images, Path runRoot) {
        this.images = images;
        this.runRoot = runRoot;
    }

    /** A warm state found for a launch, read-locked until {@link #close()}. */
    record Held(Path dir, WarmState state, ReentrantReadWriteLock lock) implements AutoCloseable {
        Path disk() {
            return dir.resolve(WarmState.DISK);
        }

        /** The saved devices (and CPU), without the RAM. */
        Path memory() {
            return dir.resolve(WarmState.STATE);
        }

        /** The saved guest's RAM, which resumed VMs map copy-on-write. */
        Path ram() {
            return dir.resolve(WarmState.RAM);
        }

        @Override
        public void close() {
            lock.readLock().unlock();
        }
    }

    List<WarmState> of(String fingerprint) {
        var root = images.resolve(fingerprint).resolve(DIR);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        var out = new ArrayList<WarmState>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (var dir : dirs.filter(d -> !d.getFileName().toString().startsWith(".")).sorted().toList()) {
                try {
                    out.add(WarmState.read(dir));
                } catch (UncheckedIOException e) {
                    LOG.warn("ignoring warm state {}: {}", dir, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return out;
    }

    /** The state of that shape, read-locked; the caller closes it once QEMU has loaded it. */
    Optional<Held> hold(String fingerprint, int cpus, long memoryBytes) {
        var lock = lock(fingerprint, cpus, memoryBytes);
        lock.readLock().lock();
        var dir = dir(fingerprint, cpus, memoryBytes);
        if (!Files.isRegularFile(dir.resolve(WarmState.FILE))) {
            lock.readLock().unlock();
            return Optional.empty();
        }
        try {
            return Optional.of(new Held(dir, WarmState.read(dir), lock));
        } catch (RuntimeException e) {
            lock.readLock().unlock();
            throw e;
        }
    }

    /** A directory to make a new state in, beside the others: gone at the next start if never committed. */
    Path workDir(String fingerprint) {
        var dir = images.resolve(fingerprint).resolve(DIR).resolve(NEW + UUID.randomUUID());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        return dir;
    }

    /** Puts a finished state in place, replacing the one of the same shape. */
    void commit(Path work, WarmState state) {
        var lock = lock(state.fingerprint(), state.cpus(), state.memoryBytes());
        lock.writeLock().lock();
        try {
            var dir = dir(state.fingerprint(), state.cpus(), state.memoryBytes());
            if (Files.exists(dir)) {
                var old = dir.resolveSibling(NEW + "old-" + UUID.randomUUID());
                Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
                Trees.delete(old);
            }
            Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot put the warm state " + work + " in place", e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Removes the state of that shape; false if there was none. */
    boolean delete(String fingerprint, int cpus, long memoryBytes) {
        var lock = lock(fingerprint, cpus, memoryBytes);
        lock.writeLock().lock();
        try {
            var dir = dir(fingerprint, cpus, memoryBytes);
            if (!Files.exists(dir)) {
                return false;
            }
            Trees.delete(dir);
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The run directory of the guest a state is made from (a dot name, which no VM can have). */
    Path runDir(String fingerprint, int cpus, long memoryBytes) {
        return runRoot.resolve(".warm-" + fingerprint.substring(0, 12) + "-" + WarmState.shape(cpus, memoryBytes));
    }

    /**
     * At agent start: a state that was being made when the agent died is removed, with the guest it was made from
     * (its QEMU would otherwise run on with nobody to end it).
     */
    void recover(Supplier<List<Path>> imageDirs) {
        if (Files.isDirectory(runRoot)) {
            try (Stream<Path> runs = Files.list(runRoot)) {
                for (var run : runs.filter(p -> p.getFileName().toString().startsWith(".warm-")).toList()) {
                    QemuProcess.find(run.resolve("qemu.pid"), run.resolve("qmp.sock")).ifPresent(qemu -> {
                        LOG.warn("ending QEMU pid {}: it was making a warm state when the agent stopped", qemu.pid());
                        qemu.destroyForcibly();
                    });
                    Trees.delete(run);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + runRoot, e);
            }
        }
        for (var image : imageDirs.get()) {
            var root = image.resolve(DIR);
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> dirs = Files.list(root)) {
                for (var left : dirs.filter(d -> d.getFileName().toString().startsWith(NEW)).toList()) {
                    LOG.info("removing {}, a warm state that was not finished", left);
                    Trees.delete(left);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + root, e);
            }
        }
    }

    private Path dir(String fingerprint, int cpus, long memoryBytes) {
        return images.resolve(fingerprint).resolve(DIR).resolve(WarmState.shape(cpus, memoryBytes));
    }

    private ReentrantReadWriteLock lock(String fingerprint, int cpus, long memoryBytes) {
        return locks.computeIfAbsent(fingerprint + "/" + WarmState.shape(cpus, memoryBytes),
                k -> new ReentrantReadWriteLock());
    }
}
