package dev.virga.client;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.virga.api.ExecRequest;
import dev.virga.api.ExecResult;
import dev.virga.api.ImageBuildRequest;
import dev.virga.api.agent.HostImage;
import dev.virga.api.agent.HostReport;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmSpec;
import dev.virga.api.agent.VmStatus;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.List;

/** The control plane's client of one host's agent ({@code /agent/1.0}). */
public final class AgentClient {
    private static final String BASE = "/agent/1.0";
    private final Http http;

    public AgentClient(URI base, String token) {
        this.http = new Http(base, token);
    }

    public URI base() {
        return http.base();
    }

    /** The heartbeat: bounded by {@link #REPORT_TIMEOUT}, so a hung agent is noticed like a dead one. */
    public HostReport report() {
        return http.send(http.request(BASE + "/host").timeout(REPORT_TIMEOUT).GET().build(),
                Json.mapper().constructType(HostReport.class));
    }

    public static final java.time.Duration REPORT_TIMEOUT = java.time.Duration.ofSeconds(5);

    /** Puts the host in standby or takes it out; answers its new report. */
    public HostReport standby(boolean on) {
        return http.send("POST", BASE + "/host/standby", new dev.virga.api.agent.StandbyRequest(on), HostReport.class);
    }

    public VmStatus create(VmSpec spec) {
        return http.send("PUT", BASE + "/instances/" + VirgaClient.enc(spec.name()), spec, VmStatus.class);
    }

    public VmStatus start(String name) {
        return http.send("POST", path(name, "start"), null, VmStatus.class);
    }

    public VmStatus stop(String name, StopSpec spec) {
        return http.send("POST", path(name, "stop"), spec, VmStatus.class);
    }

    public VmStatus pause(String name) {
        return http.send("POST", path(name, "pause"), null, VmStatus.class);
    }

    public VmStatus resume(String name) {
        return http.send("POST", path(name, "resume"), null, VmStatus.class);
    }

    /** Stops the VM if it runs and removes everything the host has of it. Absent is fine. */
    public void delete(String name) {
        http.send("DELETE", BASE + "/instances/" + VirgaClient.enc(name), null, Void.class);
    }

    public ExecResult exec(String name, ExecRequest request) {
        return http.send("POST", path(name, "exec"), request, ExecResult.class);
    }

    public InputStream consoleLog(String name) {
        return http.exchange(http.request(path(name, "console/log")).GET().build()).body();
    }

    /** Opens the VM's serial console on the host as a websocket of raw bytes. */
    public CompletableFuture<WebSocket> console(String name, WebSocket.Listener listener) {
        var uri = http.websocketUri(path(name, "console"));
        var builder = http.client().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (!http.token().isEmpty()) {
            builder.header("Authorization", "Bearer " + http.token());
        }
        return builder.buildAsync(uri, listener);
    }

    public List<HostImage> images() {
        return http.get(BASE + "/images", new TypeReference<>() { });
    }

    public HostImage buildImage(String recipe) {
        return http.send("POST", BASE + "/images/build", new ImageBuildRequest(recipe), HostImage.class);
    }

    /** Streams an uploaded disk image or image archive to the host, which checks and stores it. */
    public HostImage importImage(String name, InputStream content) {
        return upload(BASE + "/images/import?name=" + VirgaClient.enc(name), content);
    }

    /** As {@link #importImage(String, InputStream)}; the host refuses the upload unless its SHA-256 is this one. */
    public HostImage importImage(String name, InputStream content, String sha256) {
        return upload(BASE + "/images/import?name=" + VirgaClient.enc(name) + "&sha256="
                + VirgaClient.enc(sha256), content);
    }

    /**
     * Stores a copy of an image another host holds (its image archive, see {@link #exportImage}), under the
     * fingerprint the archive names; refused unless the archive's SHA-256 is {@code sha256}.
     */
    public HostImage replicateImage(String name, InputStream archive, String sha256) {
        return upload(BASE + "/images/import?name=" + VirgaClient.enc(name) + "&sha256=" + VirgaClient.enc(sha256)
                + "&replica=true", archive);
    }

    private HostImage upload(String path, InputStream content) {
        var request = http.request(path).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> content)).build();
        return http.send(request, Json.mapper().constructType(HostImage.class));
    }

    /**
     * Starts downloading an image as an image archive; the host writes and hashes it first, so this returns once
     * the SHA-256 is known.
     *
     * @param name the image's name in the catalog, written into the archive's manifest
     */
    public ImageDownload exportImage(String fingerprint, String name) {
        return ImageDownload.of(http.exchange(http.request(BASE + "/images/" + VirgaClient.enc(fingerprint)
                + "/export?name=" + VirgaClient.enc(name)).GET().build()));
    }

    /** A stopped VM's instance directory as a tar stream (for a cold move); the caller closes it. */
    public InputStream exportInstance(String name) {
        return http.exchange(http.request(BASE + "/instances/" + VirgaClient.enc(name) + "/archive").GET().build())
                .body();
    }

    /** Hands this host a VM moved from another one (its instance directory as a tar stream). */
    public VmStatus importInstance(String name, InputStream archive) {
        var request = http.request(BASE + "/instances/" + VirgaClient.enc(name) + "/archive")
                .header("Content-Type", "application/x-tar")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> archive)).build();
        return http.send(request, Json.mapper().constructType(VmStatus.class));
    }

    /**
     * A running VM's instance directory without the layer it writes (for a live move: the destination makes that
     * layer empty and the migration's mirror fills it); the caller closes it.
     */
    public InputStream exportRunningInstance(String name) {
        return http.exchange(http.request(BASE + "/instances/" + VirgaClient.enc(name) + "/archive?live=true").GET()
                .build()).body();
    }

    /** Hands this host a VM that is being moved live (see {@link #exportRunningInstance}); it stays stopped here. */
    public VmStatus importRunningInstance(String name, InputStream archive) {
        var request = http.request(BASE + "/instances/" + VirgaClient.enc(name) + "/archive?live=true")
                .header("Content-Type", "application/x-tar")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> archive)).build();
        return http.send(request, Json.mapper().constructType(VmStatus.class));
    }

    /** Destination of a live move: starts a QEMU that waits for the migration; where the source must send. */
    public dev.virga.api.agent.IncomingEndpoint incoming(String name) {
        return http.send("POST", path(name, "incoming"), java.util.Map.of(), dev.virga.api.agent.IncomingEndpoint.class);
    }

    /** Destination of a live move: the migration ended; returns once the guest runs (and its agent answers). */
    public VmStatus finishIncoming(String name, boolean resume) {
        return http.send("POST", path(name, "incoming/finish") + (resume ? "?resume=true" : ""), java.util.Map.of(),
                VmStatus.class);
    }

    /** Destination of a live move whose source failed: the VM if the migration arrived anyway (409 if not). */
    public VmStatus arrivedIncoming(String name, boolean resume) {
        return http.send("POST", path(name, "incoming/finish") + "?wait=false" + (resume ? "&resume=true" : ""),
                java.util.Map.of(), VmStatus.class);
    }

    /** Source of a live move: returns when it is complete (the VM runs on the destination) or throws. */
    public dev.virga.api.agent.MigrationProgress migrate(String name, dev.virga.api.agent.MigrateSpec spec) {
        return http.send("POST", path(name, "migrate"), spec, dev.virga.api.agent.MigrationProgress.class);
    }

    /** Source of a live move: how far it is. */
    public dev.virga.api.agent.MigrationProgress migration(String name) {
        return http.get(path(name, "migration"), new TypeReference<>() { });
    }

    /** Source of a live move: cancels it (the VM keeps running on the source). */
    public void cancelMigration(String name) {
        http.send("DELETE", path(name, "migration"), null, Void.class);
    }

    /** Replaces the host switch's view of the other hosts (cross-host overlay). */
    public void overlay(dev.virga.api.agent.OverlayTable table) {
        http.send("PUT", BASE + "/overlay", table, Void.class);
    }

    /** The load balancers' figures on the host's switch. */
    public java.util.List<dev.virga.api.agent.OverlayTable.BalancerStats> balancerStats() {
        return http.get(BASE + "/overlay/balancers", new com.fasterxml.jackson.core.type.TypeReference<>() { });
    }

    public void deleteImage(String fingerprint) {
        http.send("DELETE", BASE + "/images/" + VirgaClient.enc(fingerprint), null, Void.class);
    }

    /** Boots the image once and saves its guest idle and ready for launches of that shape (slow: a boot). */
    public dev.virga.api.agent.WarmInfo warmImage(String fingerprint, int cpus, long memoryBytes,
                                                  boolean onlyIfMissing) {
        return http.send("POST", BASE + "/images/" + VirgaClient.enc(fingerprint) + "/warm",
                new dev.virga.api.agent.WarmRequest(cpus, memoryBytes, onlyIfMissing),
                dev.virga.api.agent.WarmInfo.class);
    }

    public java.util.List<dev.virga.api.agent.WarmInfo> warmStates(String fingerprint) {
        return http.get(BASE + "/images/" + VirgaClient.enc(fingerprint) + "/warm",
                new com.fasterxml.jackson.core.type.TypeReference<>() { });
    }

    /** Removes the image's warm state of that shape ({@code cpus} 0: every shape). */
    public void unwarmImage(String fingerprint, int cpus, long memoryBytes) {
        http.send("POST", BASE + "/images/" + VirgaClient.enc(fingerprint) + "/unwarm",
                new dev.virga.api.agent.WarmRequest(cpus, memoryBytes), Void.class);
    }


    /** Makes an image of a VM's disk at a snapshot (or of a stopped VM's disk). */
    public HostImage publish(String name, dev.virga.api.PublishRequest request) {
        return http.send("POST", path(name, "publish"), request, HostImage.class);
    }

    // ---- snapshots

    public java.util.List<dev.virga.api.Snapshot> snapshots(String name) {
        return http.get(path(name, "snapshots"), new TypeReference<>() { });
    }

    public dev.virga.api.Snapshot createSnapshot(String name, dev.virga.api.SnapshotRequest request) {
        return http.send("POST", path(name, "snapshots"), request, dev.virga.api.Snapshot.class);
    }

    public VmStatus restoreSnapshot(String name, String snapshot, boolean force) {
        return http.send("POST", path(name, "snapshots/" + VirgaClient.enc(snapshot) + "/restore"),
                new dev.virga.api.RestoreRequest(force), VmStatus.class);
    }

    public void deleteSnapshot(String name, String snapshot) {
        http.send("DELETE", path(name, "snapshots/" + VirgaClient.enc(snapshot)), null, Void.class);
    }

    // ---- backups: the repository is a directory this host reaches at {@code repo}

    public dev.virga.api.Backup backup(String name, String repo, boolean full) {
        return http.send("POST", path(name, "backups"), new dev.virga.api.agent.BackupJob(repo, full, ""),
                dev.virga.api.Backup.class);
    }

    public java.util.Map<String, Object> backupProgress(String name) {
        return http.get(path(name, "backups/progress"), new TypeReference<>() { });
    }

    public VmStatus restoreBackup(String name, String repo, String backupId, boolean force) {
        return http.send("POST", path(name, "backups/restore") + (force ? "?force=true" : ""),
                new dev.virga.api.agent.BackupJob(repo, false, backupId), VmStatus.class);
    }

    /** Opens the repository at {@code repo}, making one if the directory is missing or empty. */
    public java.util.Map<String, Object> openBackupRepo(String repo) {
        return http.send("POST", BASE + "/backup-repos", new dev.virga.api.agent.BackupJob(repo, false, ""),
                java.util.Map.class);
    }

    public java.util.List<dev.virga.api.Backup> backups(String repo, String vm) {
        return http.get(BASE + "/backups?path=" + VirgaClient.enc(repo) + "&vm=" + VirgaClient.enc(vm),
                new TypeReference<>() { });
    }

    public dev.virga.api.Backup backupInfo(String repo, String id) {
        return http.get(BASE + "/backups/" + VirgaClient.enc(id) + "?path=" + VirgaClient.enc(repo),
                dev.virga.api.Backup.class);
    }

    public java.util.Map<String, Object> verifyBackup(String repo, String id) {
        return http.send("POST", BASE + "/backups/" + VirgaClient.enc(id) + "/verify?path=" + VirgaClient.enc(repo),
                null, java.util.Map.class);
    }

    public void deleteBackup(String repo, String id) {
        http.send("DELETE", BASE + "/backups/" + VirgaClient.enc(id) + "?path=" + VirgaClient.enc(repo), null,
                Void.class);
    }

    public java.util.Map<String, Object> pruneBackups(String repo, String vm, dev.virga.api.BackupPruneRequest r) {
        return http.send("POST", BASE + "/backups/prune?path=" + VirgaClient.enc(repo) + "&vm=" + VirgaClient.enc(vm),
                r, java.util.Map.class);
    }

    private static String path(String name, String action) {
        return BASE + "/instances/" + VirgaClient.enc(name) + "/" + action;
    }

}
