package dev.virga.backup;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The index files, {@code indexes/<vm>/<backup id>.json}. The chunk lists come last in the file so that listing
 * reads only the summary at the top of each file and stops there.
 */
final class IndexFiles {

    private static final ObjectMapper JSON = RepositoryDescriptor.JSON;

    /** The file format; field order is the file's order. */
    @JsonPropertyOrder({"format", "id", "vm", "created", "parent", "quiesced", "chunkSize", "stats", "disks", "chunks"})
    record IndexFile(int format, String id, String vm, String created, String parent, boolean quiesced, int chunkSize,
                     BackupStats stats, List<DiskInfo> disks, Map<String, String[]> chunks) {
    }

    private final RepositoryLayout layout;

    IndexFiles(RepositoryLayout layout) {
        this.layout = layout;
    }

    /** Commits a backup: from this rename on it is listed. */
    void commit(BackupIndex index) throws IOException {
        var info = index.info();
        var file = new IndexFile(RepositoryDescriptor.FORMAT, info.id(), info.vm(), info.created().toString(),
                info.parent().orElse(null), info.quiesced(), info.chunkSize(), info.stats(), info.disks(),
                index.chunks());
        var bytes = JSON.writeValueAsBytes(file);
        var dir = layout.indexesOf(info.vm());
        Files.createDirectories(dir);
        AtomicFiles.write(layout.tmp(), layout.index(info.vm(), info.id()), bytes, bytes.length);
        AtomicFiles.syncDirectory(dir);
        AtomicFiles.syncDirectory(layout.indexes());
    }

    Optional<Path> find(String backupId) {
        if (!Names.isBackupId(backupId)) {
            return Optional.empty();
        }
        for (var vm : vms()) {
            var path = layout.index(vm, backupId);
            if (Files.isRegularFile(path)) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    Path require(String backupId) {
        return find(backupId).orElseThrow(() -> new BackupException.UnknownBackup(backupId, layout.root()));
    }

    List<String> vms() {
        var vms = new ArrayList<String>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layout.indexes(), Files::isDirectory)) {
            dirs.forEach(d -> vms.add(d.getFileName().toString()));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new BackupException.Io("listing " + layout.indexes(), e);
        }
        vms.sort(Comparator.naturalOrder());
        return vms;
    }

    /** The index files of one VM (unordered). */
    List<Path> filesOf(String vm) {
        var files = new ArrayList<Path>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(layout.indexesOf(vm), "*.json")) {
            entries.forEach(files::add);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new BackupException.Io("listing " + layout.indexesOf(vm), e);
        }
        return files;
    }

    List<Path> allFiles() {
        var files = new ArrayList<Path>();
        for (var vm : vms()) {
            files.addAll(filesOf(vm));
        }
        return files;
    }

    /** The summary of a backup, read from the top of its index file only. */
    BackupInfo readInfo(Path file) {
        try (var parser = JSON.createParser(file.toFile())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            ObjectNode summary = JSON.createObjectNode();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                var name = parser.currentName();
                parser.nextToken();
                if (name.equals("chunks")) {
                    break;
                }
                summary.set(name, JSON.readTree(parser));
            }
            return toInfo(JSON.treeToValue(summary, IndexFile.class));
        } catch (IOException e) {
            throw new BackupException.Io("reading the index " + file, e);
        }
    }

    BackupIndex read(Path file) {
        try {
            var index = JSON.readValue(file.toFile(), IndexFile.class);
            var info = toInfo(index);
            var chunks = new LinkedHashMap<String, String[]>();
            for (var disk : info.disks()) {
                var list = index.chunks() == null ? null : index.chunks().get(disk.name());
                long expected = (disk.size() + info.chunkSize() - 1) / info.chunkSize();
                if (list == null || list.length != expected) {
                    throw new IOException("disk " + disk.name() + " should have " + expected + " chunk entries");
                }
                chunks.put(disk.name(), list);
            }
            return new BackupIndex(info, chunks);
        } catch (IOException e) {
            throw new BackupException.Io("reading the index " + file, e);
        }
    }

    BackupIndex read(String backupId) {
        return read(require(backupId));
    }

    private static BackupInfo toInfo(IndexFile file) throws IOException {
        if (file.format() != RepositoryDescriptor.FORMAT || file.id() == null || file.vm() == null
                || file.created() == null || file.disks() == null || file.stats() == null) {
            throw new IOException("incomplete or foreign index (format " + file.format() + ")");
        }
        return new BackupInfo(file.id(), file.vm(), Instant.parse(file.created()),
                file.parent() == null ? "" : file.parent(), file.quiesced(), file.chunkSize(), file.disks(),
                file.stats());
    }
}
