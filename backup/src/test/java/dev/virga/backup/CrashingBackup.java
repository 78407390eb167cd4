package dev.virga.backup;

import java.nio.file.Path;
import java.util.List;

/**
 * Run in a child JVM by {@link CrashAndGarbageTest}: starts a full backup, says {@code HALF} after handing over half
 * of the chunks, and then hangs until it is killed.
 */
public final class CrashingBackup {

    public static void main(String[] args) throws Exception {
        var repo = BackupRepository.open(Path.of(args[0]));
        var image = Path.of(args[1]);
        long size = Long.parseLong(args[2]);
        ChunkSource whole = ChunkSource.wholeFile(image);
        ChunkSource hangHalfWay = sink -> whole.read(new ChunkSink() {
            @Override
            public int chunkSize() {
                return sink.chunkSize();
            }

            @Override
            public long diskSize() {
                return sink.diskSize();
            }

            @Override
            public void chunk(long index, java.nio.ByteBuffer data) throws java.io.IOException {
                if (index == chunkCount() / 2) {
                    System.out.println("HALF");
                    System.out.flush();
                    try {
                        Thread.sleep(600_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                sink.chunk(index, data);
            }

            @Override
            public void zero(long index) throws java.io.IOException {
                sink.zero(index);
            }
        });
        repo.backup(BackupRequest.full("vm1", false, List.of(new DiskSource("vda", size, hangHalfWay))),
                BackupProgress.NONE);
    }
}
