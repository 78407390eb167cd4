package dev.virga.backup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps garbage collection away from backups being written: every writer holds a shared lock on the repository's
 * {@code lock} file, garbage collection an exclusive one, so a chunk that a running backup has just written (or
 * reuses) is never swept before the backup's index is committed. The locks are POSIX advisory locks
 * ({@code fcntl}), which the kernel drops when a process dies (kill -9 leaves no stale lock) and which NFSv4 and
 * NFSv3 with lockd carry across hosts. Java grants such a lock once per JVM, so writers of one JVM share one file
 * lock through a count.
 */
final class RepositoryLock {

    private static final Map<Path, RepositoryLock> LOCKS = new ConcurrentHashMap<>();

    private final Path repository;
    private final Path file;
    private int writers;
    private boolean collecting;
    private FileChannel channel;
    private FileLock lock;

    private RepositoryLock(Path repository, Path file) {
        this.repository = repository;
        this.file = file;
    }

    static RepositoryLock of(RepositoryLayout layout) {
        Path key;
        try {
            key = layout.root().toRealPath();
        } catch (IOException e) {
            key = layout.root().toAbsolutePath().normalize();
        }
        return LOCKS.computeIfAbsent(key, k -> new RepositoryLock(layout.root(), layout.lockFile()));
    }

    /** A held lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Shared with other writers; waits while garbage collection runs (here or in another process). */
    synchronized Held forWriter() throws IOException {
        while (collecting) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for garbage collection to end", e);
            }
        }
        if (writers == 0) {
            open();
            try {
                lock = channel.lock(0, Long.MAX_VALUE, true);
            } catch (IOException | RuntimeException e) {
                closeChannel();
                throw e;
            }
        }
        writers++;
        return this::releaseWriter;
    }

    /** Exclusive; refuses at once when a backup is being written here or in another process. */
    synchronized Held forCollector() throws IOException {
        if (collecting || writers > 0) {
            throw new BackupException.Busy(repository, collecting ? "garbage collection is already running"
                    : "a backup is being written; collect garbage when it is done");
        }
        open();
        try {
            lock = channel.tryLock(0, Long.MAX_VALUE, false);
        } catch (IOException | RuntimeException e) {
            closeChannel();
            throw e;
        }
        if (lock == null) {
            closeChannel();
            throw new BackupException.Busy(repository, "another process is writing a backup or collecting garbage");
        }
        collecting = true;
        return this::releaseCollector;
    }

    private synchronized void releaseWriter() {
        if (--writers == 0) {
            closeChannel();
        }
    }

    private synchronized void releaseCollector() {
        collecting = false;
        closeChannel();
        notifyAll();
    }

    private void open() throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    private void closeChannel() {
        try {
            channel.close(); // releases the lock too
        } catch (IOException ignored) {
            // nothing was written through the channel: closing cannot lose anything
        }
        channel = null;
        lock = null;
    }
}
