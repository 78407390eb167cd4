package dev.virga.server;

import dev.virga.api.ServerInfo;
import dev.virga.client.Json;
import dev.virga.server.db.Database;
import dev.virga.server.event.EventBus;
import dev.virga.server.event.EventRoutes;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ErrorMapping;
import dev.virga.server.http.LeaderGate;
import dev.virga.server.leader.Leadership;
import dev.virga.server.image.ImageCatalog;
import dev.virga.server.image.ImageRoutes;
import dev.virga.server.instance.InstanceRoutes;
import dev.virga.server.instance.InstanceService;
import dev.virga.server.instance.Reconciler;
import dev.virga.server.operation.OperationRoutes;
import dev.virga.server.operation.Operations;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;

/** A running control plane. */
public final class VirgaServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VirgaServer.class);
    public static final String VERSION = "0.1.0";
    private final Javalin app;
    private final Database db;
    private final Hosts hosts;
    private final Reconciler reconciler;
    private final InstanceService instances;
    private final EventBus events;
    private final Operations operations;
    private final Leadership leadership;
    private final dev.virga.server.config.Settings settings;
    private final dev.virga.server.scheduler.Groups groups;
    private final String host;
    private boolean reconcileWanted;
    private dev.virga.server.backup.BackupSchedules backupSchedules;

    private VirgaServer(ServerConfig config) {
        this.host = config.bindHost().equals("0.0.0.0") ? "127.0.0.1" : config.bindHost();
        this.db = config.jdbcUrl().isEmpty()
                ? Database.sqlite(config.dataDir().resolve("db/virga.sqlite")) : Database.open(config.jdbcUrl());
        var jdbi = db.jdbi();
        this.events = new EventBus(jdbi);
        this.operations = new Operations(jdbi, events);
        this.settings = new dev.virga.server.config.Settings(jdbi);
        this.hosts = new Hosts(jdbi, settings);
        var placement = new dev.virga.server.scheduler.Placement(jdbi, hosts, settings);
        this.groups = new dev.virga.server.scheduler.Groups(jdbi);
        var images = new ImageCatalog(jdbi, hosts, placement, operations, events, config.dataDir().resolve("spool"));
        this.instances = new InstanceService(jdbi, images, hosts, operations, events, groups);
        this.reconciler = new Reconciler(instances, hosts, operations, events, config.reconcile());
        reconciler.onReport(new dev.virga.server.network.Overlay(jdbi)::reported);
        // the URL is known once the port is: the first election step comes after the start
        this.leadership = Leadership.of(db, () -> advertised(config), new Duties());
        this.app = routes(config, jdbi, images);
        try {
            app.start(config.bindHost(), config.port());
            leadership.start();
            backupSchedules.start();
        } catch (RuntimeException e) {
            leadership.close();
            app.stop();
            db.close();
            throw e;
        }
        LOG.info("virga server listening on {} (state: {}; {})", url(), db.url(),
                leadership.leading() ? "leading" : "standing by, leader " + leadership.leader().orElse("unknown"));
    }

    private String advertised(ServerConfig config) {
        return config.advertise().isEmpty() ? url().toString() : config.advertise();
    }

    /** What the leader does and a standby does not: operations, the reconcile loop. */
    private final class Duties implements Leadership.Duties {
        @Override
        public void lead() {
            events.resume();
            operations.failInterrupted();
            synchronized (VirgaServer.this) {
                if (reconcileWanted) {
                    reconciler.runOnce();
                    instances.requeue();
                    reconciler.start();
                }
            }
        }

        @Override
        public void standBy() {
            reconciler.stop();
        }
    }

    private Javalin routes(ServerConfig config, org.jdbi.v3.core.Jdbi jdbi, ImageCatalog images) {
        var metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registerMetrics(metrics, instances, operations);
        var app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.useVirtualThreads = true;
            cfg.jsonMapper(new JavalinJackson(Json.mapper(), true));
            cfg.jetty.defaultHost = config.bindHost();
            cfg.http.maxRequestSize = 1024L * 1024 * 1024 * 1024;
        });
        ErrorMapping.install(app);
        LeaderGate.install(app, leadership);
        app.get("/1.0", ctx -> ctx.json(new ServerInfo("virga", VERSION, "1.0", hosts.names().size(),
                instances.list().size(), leadership.leading(), leadership.leader().orElse(""))));
        dev.virga.server.host.HostRoutes.install(app, hosts, new dev.virga.server.host.HostAdmin(jdbi, hosts, events));
        dev.virga.server.scheduler.GroupRoutes.install(app, groups);
        dev.virga.server.network.NetworkRoutes.install(app, new dev.virga.server.network.Networks(jdbi),
                new dev.virga.server.network.LoadBalancers(jdbi, hosts));
        dev.virga.server.config.ConfigRoutes.install(app, settings);
        var join = new dev.virga.server.host.HostJoin(jdbi, hosts);
        app.post("/1.0/hosts/tokens", ctx -> ctx.status(201).json(join.issue(java.time.Duration.ofSeconds(
                dev.virga.server.http.Bodies.intQuery(ctx, "ttl", 3600)))));
        app.post("/1.0/hosts/join", ctx -> {
            var m = join.join(dev.virga.server.http.Bodies.read(ctx, dev.virga.api.JoinRequest.class),
                    advertised(config));
            // only the new host: a pass over every host per join made joining N hosts cost N^2 reports
            reconciler.refresh(m.name());
            ctx.status(201).json(m);
        });
        app.post("/1.0/hosts/{name}/rejoin", ctx -> {
            join.rejoin(ctx.pathParam("name"), dev.virga.server.http.Bodies.read(ctx, dev.virga.api.JoinRequest.class));
            reconciler.refresh(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.get("/1.0/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
        InstanceRoutes.install(app, instances,
                new dev.virga.server.instance.SnapshotService(instances, images, hosts, operations, events));
        ImageRoutes.install(app, images);
        var backups = new dev.virga.server.backup.BackupService(jdbi, instances, hosts, operations, events);
        this.backupSchedules = new dev.virga.server.backup.BackupSchedules(jdbi, backups, instances, operations,
                leadership::leading);
        dev.virga.server.backup.BackupRoutes.install(app, backups, backupSchedules);
        OperationRoutes.install(app, operations);
        EventRoutes.install(app, events);
        return app;
    }

    private static void registerMetrics(PrometheusMeterRegistry metrics, InstanceService instances,
                                        Operations operations) {
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(metrics);
        for (var state : dev.virga.api.InstanceState.values()) {
            io.micrometer.core.instrument.Gauge.builder("virga.instances", instances,
                            i -> i.list().stream().filter(x -> x.state() == state).count())
                    .tag("state", state.name().toLowerCase()).description("instances by state").register(metrics);
        }
        io.micrometer.core.instrument.Gauge.builder("virga.operations.running", operations,
                o -> o.list(1000).stream().filter(x -> !x.status().done()).count())
                .description("operations in progress").register(metrics);
    }

    public static VirgaServer start(ServerConfig config) {
        return new VirgaServer(config);
    }

    /** Adds a host whose agent listens at {@code url}; the reconcile loop starts asking it at once. */
    public void attachHost(String name, URI url, String token) {
        hosts.attach(name, url, token);
        reconciler.refresh(name);
    }

    /**
     * Starts the reconcile loop (after the hosts are attached, so the first pass sees them) now if this server
     * leads, else as soon as it takes over.
     */
    public synchronized void startReconciling() {
        reconcileWanted = true;
        if (leadership.leading()) {
            reconciler.runOnce();
            instances.requeue();
            reconciler.start();
        }
    }

    /** Whether the reconcile loop runs here (only ever on the leader). */
    boolean reconciling() {
        return reconciler.running();
    }

    /** Whether this server leads (always on SQLite; on PostgreSQL the one holding the leader lock). */
    public boolean leading() {
        return leadership.leading();
    }

    public URI url() {
        return URI.create("http://" + host + ":" + app.port());
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        backupSchedules.close();
        leadership.close();
        reconciler.close();
        app.stop();
        db.close();
    }
}
