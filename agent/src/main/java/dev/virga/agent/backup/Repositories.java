package dev.virga.agent.backup;

import dev.virga.agent.AgentError;
import dev.virga.api.Backup;
import dev.virga.backup.BackupException;
import dev.virga.backup.BackupInfo;
import dev.virga.backup.BackupRepository;
import dev.virga.backup.RetentionPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What the control plane asks of a repository directory on this host; the repository's errors made agent errors. */
public final class Repositories {
    private Repositories() {
    }

    /** Opens the repository at {@code path}, or makes one there if the directory is missing or empty. */
    public static BackupRepository openOrInit(Path path) {
        return call(() -> {
            if (Files.exists(path.resolve("virga-backup.json"))) {
                var repo = BackupRepository.open(path);
                requireWritable(path);
                return repo;
            }
            try {
                return BackupRepository.init(path);
            } catch (IllegalArgumentException e) {
                throw AgentError.badInput("path", e.getMessage());
            }
        });
    }

    private static void requireWritable(Path path) {
        if (!Files.isWritable(path)) {
            throw AgentError.badInput("path", "the backup repository " + path + " is not writable");
        }
    }

    public static BackupRepository open(Path path) {
        return call(() -> BackupRepository.open(path));
    }

    public static List<Backup> list(Path path, String vm) {
        return call(() -> {
            var repo = BackupRepository.open(path);
            return (vm.isEmpty() ? repo.list() : repo.list(vm)).stream().map(Repositories::toApi).toList();
        });
    }

    public static Backup info(Path path, String id) {
        return call(() -> toApi(BackupRepository.open(path).info(id)));
    }

    /** Re-reads every chunk of the backup: {@code ok}, chunks checked, and each damaged place in words. */
    public static Map<String, Object> verify(Path path, String id) {
        return call(() -> {
            var report = BackupRepository.open(path).verify(id);
            var out = new LinkedHashMap<String, Object>();
            out.put("backup", id);
            out.put("ok", report.ok());
            out.put("chunksChecked", report.chunksChecked());
            out.put("damaged", report.damaged().stream().map(d -> d.describe()).toList());
            return out;
        });
    }

    public static void delete(Path path, String id) {
        call(() -> {
            BackupRepository.open(path).delete(id);
            return null;
        });
    }

    /** Applies retention to one VM's backups, then (unless a dry run) frees the chunks nothing uses any more. */
    public static Map<String, Object> prune(Path path, String vm, RetentionPolicy policy, boolean dryRun) {
        return call(() -> {
            var repo = BackupRepository.open(path);
            var plan = dryRun ? repo.planPrune(vm, policy, ZoneId.systemDefault())
                    : repo.prune(vm, policy, ZoneId.systemDefault());
            var out = new LinkedHashMap<String, Object>();
            out.put("kept", plan.keep().stream().map(d -> Map.of("id", d.backup().id(), "reasons", d.reasons()))
                    .toList());
            out.put("removed", plan.remove().stream().map(d -> Map.of("id", d.backup().id(), "reasons",
                    d.reasons())).toList());
            out.put("dryRun", dryRun);
            if (!dryRun) {
                var gc = repo.collectGarbage();
                out.put("chunksRemoved", gc.chunksRemoved());
                out.put("bytesFreed", gc.bytesRemoved());
            }
            return out;
        });
    }

    public static Backup toApi(BackupInfo info) {
        var s = info.stats();
        return new Backup(info.id(), info.vm(), "", info.created(), info.parentId(), info.quiesced(), info.size(),
                s.bytesRead(), -1, s.bytesWritten(), s.chunksNew(), s.chunksReused(), s.chunksUnchanged(),
                s.chunksZero(), "");
    }

    /** Runs a repository call, turning its errors into the agent's: 404 unknown, 400 unusable path, 409 damage. */
    public static <T> T call(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (BackupException.RepositoryNotFound e) {
            throw AgentError.badInput("path", e.getMessage());
        } catch (BackupException.UnsupportedFormat e) {
            throw AgentError.badInput("path", e.getMessage());
        } catch (BackupException.NotWritable e) {
            throw AgentError.badInput("path", e.getMessage());
        } catch (BackupException.UnknownBackup e) {
            throw AgentError.missing(e.getMessage());
        } catch (BackupException.DamagedChunk e) {
            throw AgentError.conflict(e.getMessage());
        } catch (BackupException.Busy e) {
            throw AgentError.conflict(e.getMessage());
        } catch (BackupException e) {
            throw AgentError.failed(e.getMessage(), e);
        }
    }
}
