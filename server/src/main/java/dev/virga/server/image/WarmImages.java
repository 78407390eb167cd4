package dev.virga.server.image;

import dev.virga.api.Operation;
import dev.virga.api.Sizes;
import dev.virga.api.WarmRequest;
import dev.virga.api.WarmState;
import dev.virga.api.agent.WarmInfo;
import dev.virga.server.event.EventBus;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import dev.virga.server.operation.Operations;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Warm states of images: each host that holds an image may keep, per VM shape (vCPUs and memory), its guest booted
 * once and saved idle and ready, which launches of that shape resume instead of booting. The states live on the
 * hosts; this asks them.
 */
public final class WarmImages {
    private static final Logger LOG = LoggerFactory.getLogger(WarmImages.class);
    /** A launch's defaults, and so the shape {@code tiny} is warmed for when it is built. */
    public static final int DEFAULT_CPUS = 1;
    public static final long DEFAULT_MEMORY = 256 * Sizes.MIB;
    static final int MAX_CPUS = 64;
    static final long MIN_MEMORY = 64 * Sizes.MIB;
    static final long MAX_MEMORY = 4096 * Sizes.GIB;
    private final Jdbi jdbi;
    private final ImageCatalog catalog;
    private final Hosts hosts;
    private final Operations operations;
    private final EventBus events;

    public WarmImages(Jdbi jdbi, ImageCatalog catalog, Hosts hosts, Operations operations, EventBus events) {
        this.jdbi = jdbi;
        this.catalog = catalog;
        this.hosts = hosts;
        this.operations = operations;
        this.events = events;
    }

    /** A validated shape. */
    public record Shape(int cpus, long memoryBytes) {
        static Shape of(WarmRequest request) {
            int cpus = request.cpus() == null ? DEFAULT_CPUS : request.cpus();
            if (cpus < 1 || cpus > MAX_CPUS) {
                throw new ApiError.BadInput("cpus", cpus + " is out of range (1.." + MAX_CPUS + ")");
            }
            long memory;
            try {
                memory = request.memory() == null || request.memory().isBlank() ? DEFAULT_MEMORY
                        : Sizes.parse(request.memory());
            } catch (IllegalArgumentException e) {
                throw new ApiError.BadInput("memory", e.getMessage());
            }
            if (memory < MIN_MEMORY || memory > MAX_MEMORY) {
                throw new ApiError.BadInput("memory", Sizes.format(memory) + " is out of range ("
                        + Sizes.format(MIN_MEMORY) + ".." + Sizes.format(MAX_MEMORY) + ")");
            }
            if (memory % Sizes.MIB != 0) {
                throw new ApiError.BadInput("memory", Sizes.format(memory) + " is not a whole number of MiB");
            }
            return new Shape(cpus, memory);
        }

        String describe() {
            return cpus + " vCPU, " + Sizes.format(memoryBytes);
        }
    }

    /** Makes (or makes again) the image's warm state of that shape on every online host that holds it. */
    public Operation warm(String name, WarmRequest request) {
        var shape = Shape.of(request);
        var image = catalog.get(name).image();
        var targets = holders(image.fingerprint());
        if (targets.isEmpty()) {
            throw new ApiError.Unavailable("no online host holds image " + name);
        }
        return operations.start("image-warm", "image/" + name, progress -> {
            var made = new LinkedHashMap<String, Object>();
            for (var host : targets) {
                var info = warmOn(name, image.fingerprint(), host, shape, progress::update);
                made.put(host, describe(info));
            }
            return Map.of("image", name, "cpus", shape.cpus(), "memoryBytes", shape.memoryBytes(), "hosts", made);
        });
    }

    /**
     * Makes the warm state on one host (a boot of the image there), telling {@code progress}; an event says what
     * it cost.
     */
    public WarmInfo warmOn(String name, String fingerprint, String host, Shape shape, Consumer<String> progress) {
        return warmOn(name, fingerprint, host, shape, false, progress);
    }

    private WarmInfo warmOn(String name, String fingerprint, String host, Shape shape, boolean onlyIfMissing,
                            Consumer<String> progress) {
        progress.accept("warming " + name + " on " + host + " (" + shape.describe() + "): booting it once");
        var info = hosts.client(host).warmImage(fingerprint, shape.cpus(), shape.memoryBytes(), onlyIfMissing);
        events.publish("image-warmed", name, "image " + name + " is warm on " + host + " for " + shape.describe()
                + ": " + describe(info), Map.of("host", host));
        return info;
    }

    /** For {@code image build}: warms the launch defaults' shape on each host, saying why when it cannot. */
    Map<String, String> warmBuilt(String name, String fingerprint, List<String> builtOn, Consumer<String> progress) {
        var result = new LinkedHashMap<String, String>();
        var shape = new Shape(DEFAULT_CPUS, DEFAULT_MEMORY);
        for (var host : builtOn) {
            try {
                result.put(host, describe(warmOn(name, fingerprint, host, shape, true, progress)));
            } catch (RuntimeException e) {
                LOG.warn("image {}: cannot warm it on {}: {}", name, host, e.getMessage());
                events.publish("image-warm-failed", name, "image " + name + " could not be warmed on " + host
                        + ": " + e.getMessage(), Map.of("host", host));
                result.put(host, "not warm: " + e.getMessage());
            }
        }
        return result;
    }

    /** The warm states of the image on every online host that holds it. */
    public List<WarmState> states(String name) {
        var image = catalog.get(name).image();
        var out = new ArrayList<WarmState>();
        for (var host : holders(image.fingerprint())) {
            for (var w : hosts.client(host).warmStates(image.fingerprint())) {
                out.add(new WarmState(host, w.cpus(), w.memoryBytes(), w.accelerator(), w.qemuVersion(),
                        w.stateBytes(), w.createdAt(), w.bootMillis()));
            }
        }
        return out;
    }

    /** Removes the warm state of that shape (every shape when {@code all}) on every host that holds the image. */
    public void unwarm(String name, WarmRequest request, boolean all) {
        var image = catalog.get(name).image();
        var shape = all ? new Shape(0, 0) : Shape.of(request);
        for (var host : holders(image.fingerprint())) {
            hosts.client(host).unwarmImage(image.fingerprint(), shape.cpus(), shape.memoryBytes());
        }
        events.publish("image-unwarmed", name, "image " + name + " has no warm state "
                + (all ? "any more" : "for " + shape.describe() + " any more"));
    }

    private List<String> holders(String fingerprint) {
        return jdbi.withHandle(h -> h.createQuery("SELECT ih.host FROM image_hosts ih JOIN hosts ho "
                        + "ON ho.name = ih.host WHERE ih.fingerprint = :f AND ho.state = :online ORDER BY ih.host")
                .bind("f", fingerprint).bind("online", Hosts.ONLINE).mapTo(String.class).list());
    }

    private static String describe(WarmInfo info) {
        return "state " + Sizes.format(info.stateBytes()) + ", guest booted in " + info.bootMillis() + " ms, saved in "
                + info.saveMillis() + " ms";
    }
}
