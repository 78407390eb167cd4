package dev.virga.cli;

import dev.virga.api.Backup;
import dev.virga.api.BackupPruneRequest;
import dev.virga.api.BackupRepoRequest;
import dev.virga.api.BackupRequest;
import dev.virga.api.BackupRestoreRequest;
import dev.virga.api.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code virga backup ...}. */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = {"Backups of a VM's disk from outside the guest into a backup repository (content-addressed "
                + "4 MiB chunks, SHA-256 named, zstd, deduplicated across backups and VMs).",
                "The first backup of a VM is full; the next ones read only the chunks with blocks written since "
                        + "(a persistent QEMU dirty bitmap). The guest is frozen through its guest agent while the "
                        + "copy starts."},
        subcommands = {BackupCommands.Repo.class, BackupCommands.Create.class, BackupCommands.ListBackups.class,
                BackupCommands.Info.class, BackupCommands.Verify.class, BackupCommands.Restore.class,
                BackupCommands.Delete.class, BackupCommands.Prune.class, BackupCommands.Schedule.class,
                BackupCommands.Schedules.class})
final class BackupCommands {

    @Command(name = "repo", mixinStandardHelpOptions = true, description = "Backup repositories.",
            subcommands = {RepoAdd.class, RepoList.class, RepoRemove.class})
    static final class Repo {
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add a backup repository: a directory every host reaches at PATH (local or a mounted "
                    + "share). A missing or empty directory is made a repository; an existing repository (e.g. of "
                    + "another Virga) is adopted with its backups. PATH must be writable."})
    static final class RepoAdd implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "repository name") String name;
        @Parameters(index = "1", description = "absolute path of the directory") String path;

        @Override
        public Integer call() {
            var r = api.client().addBackupRepo(new BackupRepoRequest(name, path));
            System.out.println("backup repository " + r.name() + " at " + r.path());
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List backup repositories.")
    static final class RepoList implements Callable<Integer> {
        @Mixin ApiOptions api;

        @Override
        public Integer call() {
            var t = new Table("NAME", "PATH", "ADDED");
            api.client().backupRepos().forEach(r -> t.row(r.name(), r.path(), r.createdAt()));
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "remove", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Forget a backup repository (its directory and backups stay).")
    static final class RepoRemove implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "repository name") String name;

        @Override
        public Integer call() {
            api.client().removeBackupRepo(name);
            System.out.println("backup repository " + name + " forgotten");
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Back up a VM's disk, running (live) or stopped. Incremental when the previous backup's "
                    + "dirty bitmap is intact; full the first time, with --full, or when the bitmap was lost "
                    + "(a snapshot or restore made a new top layer, QEMU was killed, another repository): the "
                    + "result says why."})
    static final class Create implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Option(names = "--full", description = "copy the whole disk") boolean full;
        @Option(names = "--repo", description = "repository (default: the only one, or 'default')") String repo;

        @Override
        public Integer call() {
            var client = api.client();
            var r = ApiOptions.await(client, client.backup(vm, new BackupRequest(repo, full)), "backup " + vm)
                    .result();
            boolean isFull = Boolean.TRUE.equals(r.get("full"));
            System.out.printf("backup %s of %s in %s: %s%s, %s%n", r.get("backup"), vm, r.get("repo"),
                    isFull ? "full" : "incremental on " + r.get("parent"),
                    isFull && r.get("fullReason") != null ? " (" + r.get("fullReason") + ")" : "",
                    Boolean.TRUE.equals(r.get("quiesced")) ? "quiesced" : "not quiesced (no guest agent froze it)");
            System.out.printf("read %s (QEMU copied %s), wrote %s; chunks new %s, reused %s, unchanged %s, zero %s%n",
                    size(r.get("bytesRead")), size(r.get("dirtyBytes")), size(r.get("bytesWritten")),
                    r.get("chunksNew"), r.get("chunksReused"), r.get("chunksUnchanged"), r.get("chunksZero"));
            return 0;
        }
    }

    static String size(Object n) {
        long v = ((Number) n).longValue();
        return v < 0 ? "?" : Sizes.format(v);
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
            description = "List a VM's backups (in every repository, or one), oldest first.")
    static final class ListBackups implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Option(names = "--repo", description = "only this repository") String repo;
        @Option(names = "--format", defaultValue = "table", description = "table or json") String format;

        @Override
        public Integer call() {
            var list = api.client().backups(vm, repo);
            if (format.equals("json")) {
                Output.json(list);
                return 0;
            }
            var t = new Table("ID", "REPO", "CREATED", "KIND", "QUIESCED", "SIZE", "READ", "WRITTEN");
            for (var b : list) {
                t.row(b.id(), b.repo(), b.createdAt(), b.full() ? "full" : "incremental",
                        b.quiesced() ? "yes" : "no", Sizes.format(b.sizeBytes()), Sizes.format(b.bytesRead()),
                        Sizes.format(b.bytesWritten()));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show one backup (JSON).")
    static final class Info implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "backup id") String id;
        @Option(names = "--repo", description = "repository (default: search all)") String repo;

        @Override
        public Integer call() {
            Backup b = api.client().backupInfo(id, repo);
            Output.json(b);
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Re-read every chunk of a backup and check its SHA-256; fails naming each damaged chunk.")
    static final class Verify implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "backup id") String id;
        @Option(names = "--repo", description = "repository (default: search all)") String repo;

        @Override
        public Integer call() {
            var client = api.client();
            var r = ApiOptions.await(client, client.verifyBackup(id, repo), "verify " + id).result();
            System.out.println("backup " + id + " is intact (" + r.get("chunksChecked") + " chunks checked)");
            return 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Restore a backup. With --as NEW: a new VM like the backed-up one (its image, CPUs, "
                    + "memory) whose disk is the backup. Without: onto the backed-up VM, which must be stopped "
                    + "(--force stops it first and starts it again). Its snapshots stay; the next backup is full."})
    static final class Restore implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "backup id") String id;
        @Option(names = "--as", description = "name of a new VM to restore into") String as;
        @Option(names = "--force", description = "stop and restart the VM if it runs") boolean force;
        @Option(names = "--repo", description = "repository (default: search all)") String repo;

        @Override
        public Integer call() {
            var client = api.client();
            var r = ApiOptions.await(client, client.restoreBackup(id, new BackupRestoreRequest(repo, as, force)),
                    "restore " + id).result();
            System.out.println("backup " + id + " restored " + (as == null ? "onto " : "as ") + r.get("instance"));
            return 0;
        }
    }

    @Command(name = "delete", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Delete a backup (its chunks are freed by the next prune's garbage collection).")
    static final class Delete implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "backup id") String id;
        @Option(names = "--repo", description = "repository (default: search all)") String repo;

        @Override
        public Integer call() {
            api.client().deleteBackup(id, repo);
            System.out.println("backup " + id + " deleted");
            return 0;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = {"Apply retention to a VM's backups (restic 'forget' semantics: each rule keeps the newest "
                    + "backup of each of its last N periods that have one), then remove the chunks no backup uses."})
    static final class Prune implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Option(names = "--keep-last", description = "keep the N newest backups") int last;
        @Option(names = "--keep-hourly", description = "keep the newest backup of each of the last N hours with one")
        int hourly;
        @Option(names = "--keep-daily", description = "... of each of the last N days with one") int daily;
        @Option(names = "--keep-weekly", description = "... of each of the last N ISO weeks with one") int weekly;
        @Option(names = "--keep-monthly", description = "... of each of the last N months with one") int monthly;
        @Option(names = "--keep-yearly", description = "... of each of the last N years with one") int yearly;
        @Option(names = "--dry-run", description = "only say what would be removed") boolean dryRun;
        @Option(names = "--repo", description = "only this repository") String repo;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() {
            var client = api.client();
            var r = ApiOptions.await(client, client.pruneBackups(vm, new BackupPruneRequest(repo, last, hourly, daily,
                    weekly, monthly, yearly, dryRun)), "prune " + vm).result();
            for (var e : r.entrySet()) {
                var plan = (Map<String, Object>) e.getValue();
                for (var k : (java.util.List<Map<String, Object>>) plan.get("kept")) {
                    System.out.println(e.getKey() + ": keep   " + k.get("id") + " " + k.get("reasons"));
                }
                for (var k : (java.util.List<Map<String, Object>>) plan.get("removed")) {
                    System.out.println(e.getKey() + ": " + (dryRun ? "would remove " : "remove ") + k.get("id")
                            + " " + k.get("reasons"));
                }
                if (!dryRun) {
                    System.out.println(e.getKey() + ": garbage collection removed " + plan.get("chunksRemoved")
                            + " chunks (" + size(plan.get("bytesFreed")) + ")");
                }
            }
            return 0;
        }
    }

    @Command(name = "schedule", mixinStandardHelpOptions = true,
            description = {"Back up a VM every interval (the control plane starts an ordinary backup operation when "
                    + "it is due; one that cannot start, e.g. while the VM is busy, is noted and tried at the next "
                    + "interval). --off removes the schedule."})
    static final class Schedule implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Option(names = "--every", description = "interval: 90s, 30m, 1h, 1d (at least 1m)") String every;
        @Option(names = "--repo", description = "repository (default: the only one, or 'default')") String repo;
        @Option(names = "--keep-last", description = "after each backup keep only the newest N (prune + GC)")
        int keepLast;
        @Option(names = "--off", description = "remove the schedule") boolean off;

        @Override
        public Integer call() {
            var client = api.client();
            if (off) {
                client.unscheduleBackups(vm);
                System.out.println("no more scheduled backups of " + vm);
                return 0;
            }
            if (every == null) {
                throw new CliError("say how often with --every (e.g. --every 1h), or --off");
            }
            var s = client.scheduleBackups(vm, new dev.virga.api.BackupScheduleRequest(every, repo, keepLast));
            System.out.println("backups of " + vm + " every " + s.every() + (s.keepLast() > 0 ? ", keeping the last "
                    + s.keepLast() : "") + "; next at " + s.nextAt());
            return 0;
        }
    }

    @Command(name = "schedules", mixinStandardHelpOptions = true, description = "List scheduled backups.")
    static final class Schedules implements Callable<Integer> {
        @Mixin ApiOptions api;

        @Override
        public Integer call() {
            var t = new Table("VM", "EVERY", "REPO", "KEEP-LAST", "NEXT", "LAST RESULT");
            for (var s : api.client().backupSchedules()) {
                t.row(s.instance(), s.every(), s.repo().isEmpty() ? "(default)" : s.repo(), s.keepLast(), s.nextAt(),
                        s.lastResult());
            }
            t.print(System.out);
            return 0;
        }
    }
}
