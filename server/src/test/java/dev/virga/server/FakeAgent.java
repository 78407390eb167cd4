package dev.virga.server;

import dev.virga.api.ErrorResponse;
import dev.virga.api.GuestDetails;
import dev.virga.api.ImageBuildRequest;
import dev.virga.api.Sizes;
import dev.virga.api.agent.HostImage;
import dev.virga.api.agent.HostReport;
import dev.virga.api.agent.StopSpec;
import dev.virga.api.agent.VmPower;
import dev.virga.api.agent.VmSpec;
import dev.virga.api.agent.VmStatus;
import dev.virga.client.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An agent ({@code /agent/1.0}) that keeps its VMs in a map: it answers as the real one does, checks the bearer
 * token, and lets a test make a VM die, vanish, or refuse to be created.
 */
final class FakeAgent implements AutoCloseable {
    static final String TOKEN = "tok";
    static final long IMAGE_SIZE = 512 * Sizes.MIB;
    static final HostImage TINY = new HostImage("ab".repeat(32), "tiny", "qcow2", IMAGE_SIZE, 80 * Sizes.MIB,
            "Debian GNU/Linux 12 (tiny)", true);

    private final Javalin app;
    private final Map<String, VmStatus> vms = new ConcurrentHashMap<>();
    final List<VmSpec> created = new CopyOnWriteArrayList<>();
    final List<String> deleted = new CopyOnWriteArrayList<>();
    private volatile ErrorResponse createFailure;
    private volatile CountDownLatch createGate = new CountDownLatch(0);
    private final AtomicInteger createsWaiting = new AtomicInteger();
    private volatile CountDownLatch reportGate = new CountDownLatch(0);
    private volatile CompletableFuture<HostReport> heldReport = new CompletableFuture<>();
    private final AtomicInteger reportsAsked = new AtomicInteger();
    volatile boolean standby;

    FakeAgent() {
        app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.jsonMapper(new JavalinJackson(Json.mapper(), false));
        });
        app.before("/agent/1.0/*", ctx -> {
            if (!("Bearer " + TOKEN).equals(ctx.header("Authorization"))) {
                error(ctx, 401, "a valid bearer token is required");
                ctx.skipRemainingHandlers();
            }
        });
        app.get("/agent/1.0/host", this::host);
        app.post("/agent/1.0/host/standby", ctx -> {
            standby = ctx.bodyAsClass(dev.virga.api.agent.StandbyRequest.class).standby();
            ctx.json(report());
        });
        app.post("/agent/1.0/images/build", ctx -> {
            var recipe = ctx.bodyAsClass(ImageBuildRequest.class).recipe();
            if (!"tiny".equals(recipe)) {
                error(ctx, 400, "recipe: unknown");
                return;
            }
            ctx.json(TINY);
        });
        app.get("/agent/1.0/images", ctx -> ctx.json(List.of(TINY)));
        app.delete("/agent/1.0/images/{fingerprint}", ctx -> ctx.status(204));
        app.put("/agent/1.0/instances/{name}", this::create);
        app.delete("/agent/1.0/instances/{name}", ctx -> {
            vms.remove(ctx.pathParam("name"));
            deleted.add(ctx.pathParam("name"));
            ctx.status(204);
        });
        app.post("/agent/1.0/instances/{name}/{action}", this::act);
        app.start("127.0.0.1", 0);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + app.port());
    }

    private HostReport report() {
        return new HostReport("fake", 4, 8 * Sizes.GIB, "x86_64", "tcg", "kvm probe guest did not boot",
                "QEMU emulator version 7.2.22", new ArrayList<>(vms.values()), 6 * Sizes.GIB, 100 * Sizes.GIB,
                50 * Sizes.GIB, Map.of("rack", "r1"), standby);
    }

    private void host(Context ctx) throws InterruptedException {
        reportsAsked.incrementAndGet();
        var report = report();
        var gate = reportGate;
        if (gate.getCount() > 0) {
            heldReport.complete(report);
            gate.await();
        }
        ctx.json(report);
    }

    private void create(Context ctx) throws InterruptedException {
        var spec = ctx.bodyAsClass(VmSpec.class);
        var gate = createGate;
        if (gate.getCount() > 0) {
            createsWaiting.incrementAndGet();
            gate.await();
            createsWaiting.decrementAndGet();
        }
        if (standby) {
            error(ctx, 409, "this host is in standby");
            return;
        }
        var failure = createFailure;
        if (failure != null) {
            ctx.status(failure.code()).json(failure);
            return;
        }
        created.add(spec);
        var status = running(ctx.pathParam("name"));
        vms.put(status.name(), status);
        ctx.json(status);
    }

    private void act(Context ctx) {
        var name = ctx.pathParam("name");
        var vm = vms.get(name);
        if (vm == null) {
            error(ctx, 404, "instance '" + name + "' not found");
            return;
        }
        var next = switch (ctx.pathParam("action")) {
            case "start", "resume" -> running(name);
            case "stop" -> {
                ctx.bodyAsClass(StopSpec.class);
                yield stopped(name, "stopped by request");
            }
            case "pause" -> new VmStatus(name, VmPower.PAUSED, 4242, "", "tcg", 120, 900, 0, vm.guest());
            default -> null;
        };
        if (next == null) {
            error(ctx, 404, "no such endpoint");
            return;
        }
        vms.put(name, next);
        ctx.json(next);
    }

    private static void error(Context ctx, int code, String message) {
        ctx.status(code).json(new ErrorResponse(message, code, Map.of()));
    }

    static VmStatus running(String name) {
        return new VmStatus(name, VmPower.RUNNING, 4242, "", "tcg", 120, 900, 0,
                new GuestDetails(true, "7.2.22", "Debian GNU/Linux 12", "6.1.0-cloud-amd64", name));
    }

    static VmStatus stopped(String name, String reason) {
        return new VmStatus(name, VmPower.STOPPED, 0, reason, "tcg", 0, 0, 0, GuestDetails.unknown());
    }

    /** The VM's QEMU ends as {@code reason} says, as the agent would see it. */
    void vmStopped(String name, String reason) {
        vms.put(name, stopped(name, reason));
    }

    /** The host has nothing of {@code name}. */
    void forget(String name) {
        vms.remove(name);
    }

    boolean has(String name) {
        return vms.containsKey(name);
    }

    /** Creations fail from now on with the agent's error answer. */
    void failCreates(int code, String message) {
        createFailure = new ErrorResponse(message, code, Map.of());
    }

    /** Creations wait (after the request arrived, before the VM exists) until {@link #releaseCreates()}. */
    void holdCreates() {
        createGate = new CountDownLatch(1);
    }

    int createsWaiting() {
        return createsWaiting.get();
    }

    void releaseCreates() {
        createGate.countDown();
    }

    /**
     * The next host report is taken at once but answered only after {@link #releaseReports()}, as when the
     * network or the agent is slow; the future completes with it when it has been taken.
     */
    CompletableFuture<HostReport> holdNextReport() {
        heldReport = new CompletableFuture<>();
        reportGate = new CountDownLatch(1);
        return heldReport;
    }

    void releaseReports() {
        reportGate.countDown();
    }

    /** How many times the server asked for the host report. */
    int reportsAsked() {
        return reportsAsked.get();
    }

    /** Creations work again. */
    void clearFailure() {
        createFailure = null;
    }

    @Override
    public void close() {
        releaseCreates();
        releaseReports();
        app.stop();
    }
}
