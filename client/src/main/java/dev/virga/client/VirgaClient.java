package dev.virga.client;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.virga.api.Event;
import dev.virga.api.ExecRequest;
import dev.virga.api.ExecResult;
import dev.virga.api.Host;
import dev.virga.api.Image;
import dev.virga.api.ImageBuildRequest;
import dev.virga.api.Instance;
import dev.virga.api.LaunchRequest;
import dev.virga.api.Operation;
import dev.virga.api.ServerInfo;
import dev.virga.api.StateChange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** Java client of Virga's public REST API ({@code /1.0}). The CLI uses nothing else. */
public final class VirgaClient {
    private final Http http;

    public VirgaClient(URI base) {
        this(base, "");
    }

    public VirgaClient(URI base, String token) {
        this.http = new Http(base, token);
    }

    /** Several servers on one store, tried in order (see {@link ServerUrls}). */
    public VirgaClient(List<URI> servers) {
        this.http = new Http(servers, "");
    }

    /** The server that took the last request. */
    public URI base() {
        return http.base();
    }

    /** Every server this client may ask, in order, as {@code --url} takes them (comma-separated). */
    public String servers() {
        return String.join(",", http.bases().stream().map(URI::toString).toList());
    }

    public ServerInfo info() {
        return http.get("/1.0", ServerInfo.class);
    }

    // ---- instances

    public List<Instance> instances() {
        return http.get("/1.0/instances", new TypeReference<>() { });
    }

    public Instance instance(String name) {
        return http.get("/1.0/instances/" + enc(name), Instance.class);
    }

    /** Starts a launch; returns its operation (still running). */
    public Operation launch(LaunchRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances", request));
    }

    /** Where a launch would go and why; nothing is made. */
    public dev.virga.api.PlacementPreview dryRun(LaunchRequest request) {
        return http.send("POST", "/1.0/instances?dry-run=true", request, dev.virga.api.PlacementPreview.class);
    }

    public Operation changeState(String name, StateChange change) {
        return operationAt(http.sendForLocation("PUT", "/1.0/instances/" + enc(name) + "/state", change));
    }

    public Operation delete(String name, boolean force) {
        return operationAt(http.sendForLocation("DELETE", "/1.0/instances/" + enc(name) + "?force=" + force, null));
    }

    public ExecResult exec(String name, ExecRequest request) {
        return http.send("POST", "/1.0/instances/" + enc(name) + "/exec", request, ExecResult.class);
    }

    public byte[] consoleLog(String name) {
        var response = http.exchange(http.request("/1.0/instances/" + enc(name) + "/console/log").GET().build());
        try (var in = response.body()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens the interactive serial console: bytes the guest writes arrive as binary messages. */
    public CompletableFuture<WebSocket> console(String name, WebSocket.Listener listener) {
        return http.websocket("/1.0/instances/" + enc(name) + "/console", listener);
    }

    /** Copies an instance from one of its snapshots (or a snapshot taken now). */
    public Operation copy(String source, dev.virga.api.CopyRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances/" + enc(source) + "/copy", request));
    }

    /** Moves an instance to another host (cold: stopped, disk chain copied, started again if it ran). */
    public Operation move(String name, dev.virga.api.MoveRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances/" + enc(name) + "/move", request));
    }

    /** Turns an instance (or one of its snapshots) into an image. */
    public Operation publish(String instance, dev.virga.api.PublishRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances/" + enc(instance) + "/publish", request));
    }

    // ---- backups

    public List<dev.virga.api.BackupRepo> backupRepos() {
        return http.get("/1.0/backup-repos", new TypeReference<>() { });
    }

    public dev.virga.api.BackupRepo addBackupRepo(dev.virga.api.BackupRepoRequest request) {
        return http.send("POST", "/1.0/backup-repos", request, dev.virga.api.BackupRepo.class);
    }

    public void removeBackupRepo(String name) {
        http.send("DELETE", "/1.0/backup-repos/" + enc(name), null, Void.class);
    }

    public Operation backup(String instance, dev.virga.api.BackupRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances/" + enc(instance) + "/backups", request));
    }

    public List<dev.virga.api.Backup> backups(String instance, String repo) {
        return http.get("/1.0/instances/" + enc(instance) + "/backups" + repoQuery(repo), new TypeReference<>() { });
    }

    public dev.virga.api.Backup backupInfo(String id, String repo) {
        return http.get("/1.0/backups/" + enc(id) + repoQuery(repo), dev.virga.api.Backup.class);
    }

    public Operation verifyBackup(String id, String repo) {
        return operationAt(http.sendForLocation("POST", "/1.0/backups/" + enc(id) + "/verify" + repoQuery(repo), null));
    }

    public Operation restoreBackup(String id, dev.virga.api.BackupRestoreRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/backups/" + enc(id) + "/restore", request));
    }

    public void deleteBackup(String id, String repo) {
        http.send("DELETE", "/1.0/backups/" + enc(id) + repoQuery(repo), null, Void.class);
    }

    public Operation pruneBackups(String instance, dev.virga.api.BackupPruneRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances/" + enc(instance) + "/backups/prune",
                request));
    }

    public dev.virga.api.BackupSchedule scheduleBackups(String instance, dev.virga.api.BackupScheduleRequest request) {
        return http.send("PUT", "/1.0/instances/" + enc(instance) + "/backups/schedule", request,
                dev.virga.api.BackupSchedule.class);
    }

    public void unscheduleBackups(String instance) {
        http.send("DELETE", "/1.0/instances/" + enc(instance) + "/backups/schedule", null, Void.class);
    }

    public List<dev.virga.api.BackupSchedule> backupSchedules() {
        return http.get("/1.0/backup-schedules", new TypeReference<>() { });
    }

    private static String repoQuery(String repo) {
        return repo == null || repo.isEmpty() ? "" : "?repo=" + enc(repo);
    }

    // ---- snapshots

    public List<dev.virga.api.Snapshot> snapshots(String instance) {
        return http.get("/1.0/instances/" + enc(instance) + "/snapshots", new TypeReference<>() { });
    }

    public Operation createSnapshot(String instance, dev.virga.api.SnapshotRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances/" + enc(instance) + "/snapshots", request));
    }

    public Operation restoreSnapshot(String instance, String snapshot, boolean force) {
        return operationAt(http.sendForLocation("POST", "/1.0/instances/" + enc(instance) + "/snapshots/"
                + enc(snapshot) + "/restore", new dev.virga.api.RestoreRequest(force)));
    }

    public Operation deleteSnapshot(String instance, String snapshot) {
        return operationAt(http.sendForLocation("DELETE", "/1.0/instances/" + enc(instance) + "/snapshots/"
                + enc(snapshot), null));
    }

    // ---- images

    public List<Image> images() {
        return http.get("/1.0/images", new TypeReference<>() { });
    }

    public Image image(String name) {
        return http.get("/1.0/images/" + enc(name), Image.class);
    }

    public Operation buildImage(String recipe) {
        return operationAt(http.sendForLocation("POST", "/1.0/images/build", new ImageBuildRequest(recipe)));
    }

    /** Uploads a qcow2 or raw disk image or an image archive; the server checks it before accepting. */
    public Image importImage(Path file, String name) {
        return upload(file, "/1.0/images?name=" + enc(name));
    }

    /**
     * As {@link #importImage(Path, String)}, and the server refuses the upload (400 {@code sha256: ...}, nothing
     * stored) unless its SHA-256 is {@code sha256}.
     */
    public Image importImage(Path file, String name, String sha256) {
        return upload(file, "/1.0/images?name=" + enc(name) + "&sha256=" + enc(sha256));
    }

    private Image upload(Path file, String path) {
        HttpRequest request;
        try {
            request = http.request(path)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofFile(file)).build();
        } catch (IOException e) {
            throw new ApiException(400, "cannot read " + file + ": " + e.getMessage(), Map.of("field", "file"));
        }
        return http.send(request, Json.mapper().constructType(Image.class));
    }

    /**
     * Starts downloading an image as an image archive (an uncompressed tar); returns once the server has sent the
     * archive's SHA-256. Read {@link ImageDownload#content()} to the end and close it.
     */
    public ImageDownload exportImage(String name) {
        return ImageDownload.of(http.exchange(http.request("/1.0/images/" + enc(name) + "/export").GET().build()));
    }

    public void deleteImage(String name) {
        http.send("DELETE", "/1.0/images/" + enc(name), null, Void.class);
    }

    /** Starts making the image's warm state (for launches of that shape) on every host that holds it. */
    public Operation warmImage(String name, dev.virga.api.WarmRequest request) {
        return operationAt(http.sendForLocation("POST", "/1.0/images/" + enc(name) + "/warm", request));
    }

    public List<dev.virga.api.WarmState> warmStates(String name) {
        return http.get("/1.0/images/" + enc(name) + "/warm", new TypeReference<>() { });
    }

    /** Removes the image's warm state of that shape; with neither {@code cpus} nor {@code memory}, every one. */
    public void unwarmImage(String name, Integer cpus, String memory) {
        var query = new StringBuilder();
        if (cpus != null) {
            query.append("cpus=").append(cpus);
        }
        if (memory != null) {
            query.append(query.isEmpty() ? "" : "&").append("memory=").append(enc(memory));
        }
        http.send("DELETE", "/1.0/images/" + enc(name) + "/warm" + (query.isEmpty() ? "" : "?" + query), null,
                Void.class);
    }

    // ---- operations

    public List<Operation> operations() {
        return http.get("/1.0/operations", new TypeReference<>() { });
    }

    public Operation operation(String id) {
        return http.get("/1.0/operations/" + enc(id), Operation.class);
    }

    /** Waits up to {@code timeout} for the operation to end; returns it ended or still running. */
    public Operation waitFor(String id, Duration timeout) {
        return http.get("/1.0/operations/" + enc(id) + "/wait?timeout=" + Math.max(1, timeout.toSeconds()),
                Operation.class);
    }

    /** Waits until the operation ends, telling {@code progress} each time its progress text changes. */
    public Operation await(Operation operation, Consumer<Operation> progress) {
        var current = operation;
        String last = "";
        while (!current.status().done()) {
            if (!current.progress().equals(last)) {
                last = current.progress();
                progress.accept(current);
            }
            current = waitFor(current.id(), Duration.ofSeconds(1));
        }
        return current;
    }

    public Operation cancel(String id) {
        return http.send("DELETE", "/1.0/operations/" + enc(id), null, Operation.class);
    }

    // ---- hosts and events

    public List<Host> hosts() {
        return http.get("/1.0/hosts", new TypeReference<>() { });
    }

    public Host host(String name) {
        return http.get("/1.0/hosts/" + enc(name), Host.class);
    }

    /**
     * A host action: {@code standby}, {@code wake}, {@code maintenance} or {@code activate}; answers the host as it
     * is now.
     */
    public Host hostAction(String name, String action) {
        return http.send("POST", "/1.0/hosts/" + enc(name) + "/" + enc(action), null, Host.class);
    }

    /** Moves every instance off a host (which goes to maintenance). */
    public Operation evacuate(String host) {
        return operationAt(http.sendForLocation("POST", "/1.0/hosts/" + enc(host) + "/evacuate", null));
    }

    public void removeHost(String name, boolean force) {
        http.send("DELETE", "/1.0/hosts/" + enc(name) + (force ? "?force=true" : ""), null, Void.class);
    }

    // ---- tenant networks

    public List<dev.virga.api.Network> networks() {
        return http.get("/1.0/networks", new TypeReference<>() { });
    }

    public dev.virga.api.Network network(String name) {
        return http.get("/1.0/networks/" + enc(name), dev.virga.api.Network.class);
    }

    public dev.virga.api.Network createNetwork(dev.virga.api.NetworkRequest request) {
        return http.send("POST", "/1.0/networks", request, dev.virga.api.Network.class);
    }

    public void deleteNetwork(String name) {
        http.send("DELETE", "/1.0/networks/" + enc(name), null, Void.class);
    }

    public List<dev.virga.api.LoadBalancer> loadBalancers() {
        return http.get("/1.0/loadbalancers", new TypeReference<>() { });
    }

    public dev.virga.api.LoadBalancer loadBalancer(String name) {
        return http.get("/1.0/loadbalancers/" + enc(name), dev.virga.api.LoadBalancer.class);
    }

    public dev.virga.api.LoadBalancer createLoadBalancer(dev.virga.api.LoadBalancerRequest request) {
        return http.send("POST", "/1.0/loadbalancers", request, dev.virga.api.LoadBalancer.class);
    }

    public void deleteLoadBalancer(String name) {
        http.send("DELETE", "/1.0/loadbalancers/" + enc(name), null, Void.class);
    }

    // ---- placement groups and cluster settings

    public List<dev.virga.api.Group> groups() {
        return http.get("/1.0/groups", new TypeReference<>() { });
    }

    public dev.virga.api.Group group(String name) {
        return http.get("/1.0/groups/" + enc(name), dev.virga.api.Group.class);
    }

    public dev.virga.api.Group createGroup(dev.virga.api.GroupRequest request) {
        return http.send("POST", "/1.0/groups", request, dev.virga.api.Group.class);
    }

    public void deleteGroup(String name) {
        http.send("DELETE", "/1.0/groups/" + enc(name), null, Void.class);
    }

    public java.util.Map<String, String> config() {
        return http.get("/1.0/config", new TypeReference<>() { });
    }

    /** Changes settings (an empty value restores a default); answers every setting. */
    public java.util.Map<String, String> setConfig(java.util.Map<String, String> changes) {
        return http.send(http.jsonRequest("PATCH", "/1.0/config", changes),
                Json.mapper().getTypeFactory().constructMapType(java.util.Map.class, String.class, String.class));
    }

    /** A one-use token for a new host to join with. */
    public dev.virga.api.JoinToken addJoinToken(java.time.Duration ttl) {
        return http.send("POST", "/1.0/hosts/tokens?ttl=" + ttl.toSeconds(), null, dev.virga.api.JoinToken.class);
    }

    public dev.virga.api.Membership join(dev.virga.api.JoinRequest request) {
        return http.send("POST", "/1.0/hosts/join", request, dev.virga.api.Membership.class);
    }

    public void rejoin(String name, dev.virga.api.JoinRequest request) {
        http.send("POST", "/1.0/hosts/" + enc(name) + "/rejoin", request, Void.class);
    }

    public List<Event> events(long after) {
        return http.get("/1.0/events?after=" + after, new TypeReference<>() { });
    }

    /**
     * Follows the event stream (server-sent events) until {@code until} accepts an event or the stream ends.
     * Blocks the calling thread.
     */
    public void followEvents(Predicate<Event> until) {
        var request = http.request("/1.0/events/stream").header("Accept", "text/event-stream")
                .timeout(Duration.ofDays(365)).GET().build();
        var response = http.exchange(request);
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith("data:")) {
                    var event = Json.mapper().readValue(line.substring(5).strip(), Event.class);
                    if (until.test(event)) {
                        return;
                    }
                }
            }
        } catch (IOException e) {
            throw new ApiException(0, "event stream of " + http.base() + " broke: " + e.getMessage(), Map.of());
        }
    }

    private Operation operationAt(String location) {
        var path = URI.create(location).getPath();
        return http.get(path, Operation.class);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
