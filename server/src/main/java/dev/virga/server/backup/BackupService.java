package dev.virga.server.backup;

import dev.virga.api.Backup;
import dev.virga.api.BackupPruneRequest;
import dev.virga.api.BackupRepo;
import dev.virga.api.BackupRepoRequest;
import dev.virga.api.BackupRequest;
import dev.virga.api.BackupRestoreRequest;
import dev.virga.api.Instance;
import dev.virga.api.InstanceState;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import dev.virga.api.StateChange;
import dev.virga.client.AgentClient;
import dev.virga.client.ApiException;
import dev.virga.server.event.EventBus;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import dev.virga.server.instance.InstanceService;
import dev.virga.server.operation.Operations;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Backups of instances: which repositories exist and which one a backup goes to (policy, here); the copy, the
 * repository's list and its checks are done by a host that reaches the repository (its agent). Every slow step is an
 * operation on the instance.
 */
public final class BackupService {
    private static final Set<InstanceState> DISK_READY = Set.of(InstanceState.RUNNING, InstanceState.PAUSED,
            InstanceState.STOPPED);
    private static final Duration STEP = Duration.ofMinutes(30);
    private final BackupStore store;
    private final InstanceService instances;
    private final Hosts hosts;
    private final Operations operations;
    private final EventBus events;

    public BackupService(org.jdbi.v3.core.Jdbi jdbi, InstanceService instances, Hosts hosts, Operations operations,
                         EventBus events) {
        this.store = new BackupStore(jdbi);
        this.instances = instances;
        this.hosts = hosts;
        this.operations = operations;
        this.events = events;
    }

    // ---- repositories

    /** Registers a repository; the directory is made one (or checked, if it is one) by every online host. */
    public BackupRepo addRepo(BackupRepoRequest request) {
        var name = dev.virga.server.instance.Names.check("name", request.name());
        var path = request.path() == null ? "" : request.path().strip();
        if (path.isEmpty() || !Path.of(path).isAbsolute()) {
            throw new ApiError.BadInput("path", "'" + path + "' is not an absolute path");
        }
        if (store.repo(name).isPresent()) {
            throw new ApiError.Conflict("backup repository '" + name + "' already exists");
        }
        var online = onlineHosts();
        if (online.isEmpty()) {
            throw new ApiError.Unavailable("no host is online to reach " + path);
        }
        for (var host : online) {
            hosts.client(host).openBackupRepo(path);
        }
        return store.addRepo(name, Path.of(path).normalize().toString());
    }

    public List<BackupRepo> repos() {
        return store.repos();
    }

    /** Forgets a repository; its directory and backups stay (another Virga can add it again). */
    public void removeRepo(String name) {
        repo(name);
        store.removeRepo(name);
    }

    // ---- backups

    public Operation create(String instance, BackupRequest request) {
        var vm = instances.get(instance);
        var repo = chooseRepo(request.repo());
        if (vm.host().isEmpty() || !DISK_READY.contains(vm.state())) {
            throw new ApiError.Conflict("cannot back up '" + instance + "' while it is "
                    + vm.state().name().toLowerCase());
        }
        var agent = hosts.client(vm.host());
        return operations.start("backup", instance, progress -> {
            progress.update((request.full() ? "full " : "") + "backup of " + instance + " into " + repo.name());
            var watcher = Thread.ofVirtual().start(() -> watch(agent, instance, progress));
            Backup b;
            try {
                b = agent.backup(instance, repo.path(), request.full()).withRepo(repo.name());
            } finally {
                watcher.interrupt();
            }
            store.addSource(b.id(), repo.name(), vm);
            events.publish("backup-created", instance, (b.full() ? "full" : "incremental") + " backup " + b.id()
                    + (b.quiesced() ? " (quiesced)" : " (not quiesced)"), Map.of("backup", b.id()));
            return describe(b);
        });
    }

    /** Shows the agent's counters while the backup runs. */
    private static void watch(AgentClient agent, String instance, Operations.Progress progress) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(1000);
                var p = agent.backupProgress(instance);
                if (p.containsKey("bytesRead")) {
                    progress.update("backup of " + instance + ": " + mib(p.get("bytesRead")) + " MiB read, "
                            + mib(p.get("bytesWritten")) + " MiB written, chunks new " + p.get("chunksNew")
                            + ", reused " + p.get("chunksReused"));
                } else if (p.containsKey("phase")) {
                    progress.update("backup of " + instance + ": " + ("starting".equals(p.get("phase"))
                            ? "QEMU is copying the disk" : p.get("phase")));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // progress is best effort; the backup call reports the outcome
        }
    }

    private static String mib(Object bytes) {
        return String.format("%.1f", ((Number) bytes).longValue() / 1048576.0);
    }

    /** The instance's backups in every repository (or one), oldest first. */
    public List<Backup> list(String instance, String repoName) {
        var out = new ArrayList<Backup>();
        for (var repo : reposFor(repoName)) {
            agentFor(instance).backups(repo.path(), instance).forEach(b -> out.add(b.withRepo(repo.name())));
        }
        out.sort(java.util.Comparator.comparing(Backup::createdAt));
        return out;
    }

    public Backup info(String id, String repoName) {
        return locate(id, repoName).backup();
    }

    public Operation verify(String id, String repoName) {
        var found = locate(id, repoName);
        return operations.start("backup-verify", id, progress -> {
            progress.update("re-reading every chunk of " + id);
            var report = found.agent().verifyBackup(found.repo().path(), id);
            if (!Boolean.TRUE.equals(report.get("ok"))) {
                throw new IllegalStateException("backup " + id + " is damaged: "
                        + String.join("; ", castList(report.get("damaged"))));
            }
            var result = new LinkedHashMap<String, Object>(report);
            result.put("repo", found.repo().name());
            return result;
        });
    }

    public void delete(String id, String repoName) {
        var found = locate(id, repoName);
        found.agent().deleteBackup(found.repo().path(), id);
        store.removeSource(id);
        events.publish("backup-deleted", found.backup().instance(), "backup " + id + " deleted", Map.of("backup", id));
    }

    /** Retention per instance and repository, then garbage collection of the chunks no backup uses. */
    public Operation prune(String instance, BackupPruneRequest request) {
        if (request.keepLast() < 0 || request.keepHourly() < 0 || request.keepDaily() < 0 || request.keepWeekly() < 0
                || request.keepMonthly() < 0 || request.keepYearly() < 0) {
            throw new ApiError.BadInput("keep", "retention counts cannot be negative");
        }
        if (request.keepLast() + request.keepHourly() + request.keepDaily() + request.keepWeekly()
                + request.keepMonthly() + request.keepYearly() == 0) {
            throw new ApiError.BadInput("keep", "name at least one rule (--keep-last, --keep-daily, ...); "
                    + "deleting every backup is 'backup delete'");
        }
        var repos = reposFor(request.repo());
        var agent = agentFor(instance);
        return operations.start("backup-prune", instance, progress -> {
            var result = new LinkedHashMap<String, Object>();
            for (var repo : repos) {
                progress.update("pruning the backups of " + instance + " in " + repo.name());
                result.put(repo.name(), agent.pruneBackups(repo.path(), instance, request));
            }
            return result;
        });
    }

    /**
     * Restores onto the backed-up instance (stopped, or with {@code force} stopped first and started again), or
     * as a new instance: launched like the original (image, size), stopped, its disk replaced, started.
     */
    public Operation restore(String id, BackupRestoreRequest request) {
        var found = locate(id, request.repo());
        var backup = found.backup();
        if (request.as().isEmpty()) {
            var vm = instances.get(backup.instance());
            boolean running = vm.state() == InstanceState.RUNNING || vm.state() == InstanceState.PAUSED;
            if (running && !request.force()) {
                throw new ApiError.Conflict("'" + vm.name() + "' is running: restoring " + id + " stops it and "
                        + "starts it again; use --force to do that", Map.of("state", vm.state().name().toLowerCase()));
            }
            if (!running && vm.state() != InstanceState.STOPPED) {
                throw new ApiError.Conflict("cannot restore onto '" + vm.name() + "' while it is "
                        + vm.state().name().toLowerCase());
            }
            // the operation is the backup's: the stop and start inside are operations on the instance
            return operations.start("backup-restore", id, progress -> {
                if (running) {
                    progress.update("stopping " + vm.name());
                    await(instances.changeState(vm.name(), new StateChange("stop", true, 0)));
                }
                progress.update("restoring " + id + " onto " + vm.name());
                hosts.client(vm.host()).restoreBackup(vm.name(), found.repo().path(), id, false);
                if (running) {
                    progress.update("starting " + vm.name());
                    await(instances.changeState(vm.name(), new StateChange("start", false, 0)));
                }
                events.publish("backup-restored", vm.name(), "restored " + id, Map.of("backup", id));
                return Map.of("backup", id, "instance", vm.name());
            });
        }
        var name = dev.virga.server.instance.Names.check("as", request.as());
        var launch = launchLike(backup, found.repo());
        var op = instances.launch(new LaunchRequest(name, launch.image(), launch.cpus(),
                String.valueOf(launch.memoryBytes()), String.valueOf(Math.max(launch.diskBytes(),
                backup.sizeBytes())), launch.host(), false), System.nanoTime());
        return operations.start("backup-restore", id, progress -> {
            progress.update("launching " + name + " for " + id);
            await(op);
            progress.update("stopping " + name);
            await(instances.changeState(name, new StateChange("stop", true, 0)));
            progress.update("restoring " + id + " onto " + name);
            var host = instances.get(name).host();
            try {
                hosts.client(host).restoreBackup(name, found.repo().path(), id, false);
            } catch (RuntimeException e) {
                // a damaged backup must not leave a new VM that looks restored
                operations.waitFor(instances.delete(name, true).id(), STEP);
                throw e;
            }
            progress.update("starting " + name);
            await(instances.changeState(name, new StateChange("start", false, 0)));
            events.publish("backup-restored", name, "restored " + id + " as " + name, Map.of("backup", id));
            return Map.of("backup", id, "instance", name, "host", host);
        });
    }

    /** What to launch for a restore as a new instance: like the backed-up one, if it still exists, or as recorded. */
    private BackupStore.Source launchLike(Backup backup, BackupRepo repo) {
        try {
            var vm = instances.get(backup.instance());
            return new BackupStore.Source(backup.id(), repo.name(), vm.name(), vm.image(), vm.cpus(), vm.memoryBytes(),
                    vm.diskBytes(), vm.host());
        } catch (ApiError.NotFound e) {
            return store.source(backup.id()).orElseThrow(() -> new ApiError.Conflict("instance '"
                    + backup.instance() + "' is gone and this control plane did not make backup " + backup.id()
                    + ": it does not know which image and size to launch"));
        }
    }

    private void await(Operation op) {
        var done = operations.waitFor(op.id(), STEP);
        if (done.status() != OperationStatus.SUCCESS) {
            throw new IllegalStateException(op.kind() + " of " + op.target() + " "
                    + done.status().name().toLowerCase() + ": " + done.error());
        }
    }

    // ---- finding things

    private record Found(BackupRepo repo, Backup backup, AgentClient agent) {
    }

    private Found locate(String id, String repoName) {
        var agent = agentFor(instanceOf(id));
        for (var repo : reposFor(repoName)) {
            try {
                return new Found(repo, agent.backupInfo(repo.path(), id).withRepo(repo.name()), agent);
            } catch (ApiException e) {
                if (e.code() != 404) {
                    throw e;
                }
            }
        }
        throw new ApiError.NotFound("backup", id);
    }

    /** Backup ids start with the instance's name ({@code vm1-20261126T002511Z-3f9a}). */
    private static String instanceOf(String id) {
        int cut = id.lastIndexOf('-', id.lastIndexOf('-') - 1);
        return cut > 0 ? id.substring(0, cut) : id;
    }

    private BackupRepo repo(String name) {
        return store.repo(name).orElseThrow(() -> new ApiError.NotFound("backup repository", name));
    }

    private List<BackupRepo> reposFor(String name) {
        if (name != null && !name.isEmpty()) {
            return List.of(repo(name));
        }
        return store.repos();
    }

    /** The named repository, or the only one, or the one named {@code default}. */
    private BackupRepo chooseRepo(String name) {
        if (!name.isEmpty()) {
            return store.repo(name).orElseThrow(() -> new ApiError.BadInput("repo", "no backup repository named '"
                    + name + "' (add one with 'virga backup repo add NAME PATH')"));
        }
        var all = store.repos();
        if (all.size() == 1) {
            return all.getFirst();
        }
        return store.repo("default").orElseThrow(() -> new ApiError.BadInput("repo", all.isEmpty()
                ? "no backup repository yet: add one with 'virga backup repo add NAME PATH'"
                : "several backup repositories and none named 'default': say which with --repo"));
    }

    /** The instance's host when it has one (online), otherwise any online host. */
    private AgentClient agentFor(String instance) {
        Optional<String> host;
        try {
            host = Optional.of(instances.get(instance).host()).filter(h -> !h.isEmpty());
        } catch (ApiError.NotFound e) {
            host = Optional.empty();
        }
        var online = onlineHosts();
        var chosen = host.filter(online::contains).or(() -> online.stream().findFirst())
                .orElseThrow(() -> new ApiError.Unavailable("no host is online to read the backup repository"));
        return hosts.client(chosen);
    }

    private List<String> onlineHosts() {
        return hosts.list().stream().filter(h -> Hosts.ONLINE.equals(h.state())).map(dev.virga.api.Host::name)
                .toList();
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object o) {
        return o instanceof List<?> l ? (List<String>) l : List.of(String.valueOf(o));
    }

    static Map<String, Object> describe(Backup b) {
        var m = new LinkedHashMap<String, Object>();
        m.put("backup", b.id());
        m.put("repo", b.repo());
        m.put("full", b.full());
        if (!b.full()) {
            m.put("parent", b.parent());
        }
        if (!b.fullReason().isEmpty()) {
            m.put("fullReason", b.fullReason());
        }
        m.put("quiesced", b.quiesced());
        m.put("sizeBytes", b.sizeBytes());
        m.put("dirtyBytes", b.dirtyBytes());
        m.put("bytesRead", b.bytesRead());
        m.put("bytesWritten", b.bytesWritten());
        m.put("chunksNew", b.chunksNew());
        m.put("chunksReused", b.chunksReused());
        m.put("chunksUnchanged", b.chunksUnchanged());
        m.put("chunksZero", b.chunksZero());
        return m;
    }

}
