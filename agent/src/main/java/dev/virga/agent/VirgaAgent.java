package dev.virga.agent;

import dev.virga.agent.http.AgentRoutes;
import dev.virga.agent.storage.ImageStore;
import dev.virga.agent.vm.VmHost;
import dev.virga.api.agent.HostReport;
import dev.virga.client.Json;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** A running agent: owns this host's VMs and images and serves the control plane. */
public final class VirgaAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VirgaAgent.class);
    private final AgentConfig config;
    private final VmHost vms;
    private final Accelerators accelerators;
    private final Javalin app;
    private final String qemuVersion;
    private final dev.virga.agent.network.HostSwitch hostSwitch;

    private VirgaAgent(AgentConfig config) {
        this.config = config;
        var paths = AgentPaths.of(config.dataDir());
        paths.create();
        var qemu = findQemu();
        this.qemuVersion = dev.virga.qemu.vm.QemuVersion.of(qemu);
        var images = new ImageStore(paths.images());
        this.accelerators = new Accelerators(config.accelerator(), images, paths.dataDir().resolve("accelerator.json"),
                qemuVersion);
        // VXLAN on the agent's address, any free port (several agents may share a machine)
        this.hostSwitch = dev.virga.agent.network.HostSwitch.start(
                new java.net.InetSocketAddress(config.bindHost(), 0));
        this.vms = new VmHost(paths, images, () -> accelerators.current().accelerator(), qemu,
                new dev.virga.agent.vm.Admission(paths.dataDir().resolve("standby"),
                        dev.virga.agent.vm.Admission::machineMemory, memoryBytes()), hostSwitch);
        vms.adoptAll();
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.useVirtualThreads = true;
            cfg.jsonMapper(new JavalinJackson(Json.mapper(), true));
            cfg.http.maxRequestSize = 1024L * 1024 * 1024 * 1024;
        });
        AgentRoutes.install(app, config.token(), vms, images, this::report);
        dev.virga.agent.http.SnapshotRoutes.install(app, vms);
        app.put("/agent/1.0/overlay", ctx -> {
            hostSwitch.overlay(ctx.bodyAsClass(dev.virga.api.agent.OverlayTable.class));
            ctx.status(204);
        });
        app.get("/agent/1.0/overlay/balancers", ctx -> ctx.json(hostSwitch.balancerStats()));
        dev.virga.agent.http.BackupRoutes.install(app, vms);
        app.start(config.bindHost(), config.port());
        LOG.info("virga agent {} listening on {} (data: {}, qemu: {})", config.name(), url(), paths.dataDir(),
                qemuVersion);
    }

    public static VirgaAgent start(AgentConfig config) {
        return new VirgaAgent(config);
    }

    public URI url() {
        return URI.create("http://" + config.bindHost() + ":" + app.port());
    }

    public String name() {
        return config.name();
    }

    public String token() {
        return config.token();
    }

    public HostReport report() {
        var verdict = accelerators.current();
        long disk = 0;
        long free = 0;
        try {
            var store = Files.getFileStore(config.dataDir());
            disk = store.getTotalSpace();
            free = store.getUsableSpace();
        } catch (IOException e) {
            LOG.debug("no file store for {}: {}", config.dataDir(), e.toString());
        }
        return new HostReport(config.name(), config.cpus() > 0 ? config.cpus()
                : Runtime.getRuntime().availableProcessors(), memoryBytes(),
                System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch"),
                verdict.accelerator(), verdict.reason(), qemuVersion, vms.statuses(),
                dev.virga.agent.vm.Admission.availableMemory(), disk, free, config.labels(), vms.standby(),
                hostSwitch.endpoint(), hostSwitch.overlayVersion());
    }

    private static Path findQemu() {
        for (var dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            var p = Path.of(dir, "qemu-system-x86_64");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("qemu-system-x86_64 is not installed (Debian package qemu-system-x86)");
    }

    /** Memory offered to VMs: the operator's figure if given, else the machine's. */
    private long memoryBytes() {
        return config.memoryBytes() > 0 ? config.memoryBytes() : dev.virga.agent.vm.Admission.machineMemory();
    }

    /** Stops serving; every VM keeps running and is adopted by the next agent. */
    @Override
    public void close() {
        app.stop();
        vms.close();
        hostSwitch.close();
    }

    /** For {@code virga down}: stops every VM of this host. */
    public void stopAllVms(int timeoutSeconds) {
        vms.statuses().parallelStream().filter(s -> s.pid() != 0).forEach(s ->
                vms.stop(s.name(), new dev.virga.api.agent.StopSpec(false, timeoutSeconds)));
    }
}
