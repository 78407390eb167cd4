package dev.virga.agent;

import dev.virga.agent.storage.ImageStore;
import dev.virga.client.Json;
import dev.virga.qemu.accel.AcceleratorProbe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Which accelerator this host's VMs use. KVM only when a probe guest really boots under it within a bound (on some
 * hosts /dev/kvm opens but guests hang); the verdict is cached per probe kernel and QEMU version, since probing costs
 * the whole bound when KVM is broken.
 */
public final class Accelerators {
    private static final Logger LOG = LoggerFactory.getLogger(Accelerators.class);
    static final Duration BOUND = Duration.ofSeconds(15);
    private final String mode;
    private final ImageStore images;
    private final Path cache;
    private final String qemuVersion;
    private volatile Verdict verdict;
    private boolean probing;

    /** What was decided and why. */
    public record Verdict(String accelerator, String reason, String key) {
    }

    public Accelerators(String mode, ImageStore images, Path cache, String qemuVersion) {
        if (!mode.equals("auto") && !mode.equals("tcg") && !mode.equals("kvm")) {
            throw new IllegalArgumentException("--accel: '" + mode + "' is not one of auto, tcg, kvm");
        }
        this.mode = mode;
        this.images = images;
        this.cache = cache;
        this.qemuVersion = qemuVersion;
    }

    public synchronized Verdict current() {
        if (!mode.equals("auto")) {
            return new Verdict(mode, "set by --accel " + mode, "");
        }
        if (!Files.exists(Path.of("/dev/kvm"))) {
            return new Verdict("tcg", "no /dev/kvm on this host", "");
        }
        var probeImage = images.list().stream().filter(s -> s.kernel().isPresent()).findFirst();
        if (probeImage.isEmpty()) {
            return new Verdict("tcg", "not probed yet (no image with a kernel to boot a probe guest)", "");
        }
        var key = probeImage.get().manifest().fingerprint() + "/" + qemuVersion;
        if (verdict != null && verdict.key().equals(key)) {
            return verdict;
        }
        var cached = readCache();
        if (cached != null && cached.key().equals(key)) {
            verdict = cached;
            return verdict;
        }
        if (!probing) {
            probing = true;
            var image = probeImage.get();
            // in the background: a broken KVM costs the whole bound, and no launch should wait for that
            Thread.ofVirtual().name("kvm-probe").start(() -> probe(image, key));
        }
        return new Verdict("tcg", "KVM probe running; tcg meanwhile", "");
    }

    private void probe(ImageStore.Stored image, String key) {
        LOG.info("probing KVM with a guest (at most {} s)", BOUND.toSeconds());
        var result = AcceleratorProbe.probe(image.kernel().orElseThrow(), image.initrd().orElseThrow(), BOUND);
        var v = new Verdict(result.accelerator().qemuArg(), result.reason(), key);
        LOG.info("accelerator: {} ({})", v.accelerator(), v.reason());
        writeCache(v);
        synchronized (this) {
            verdict = v;
            probing = false;
        }
    }

    private Verdict readCache() {
        try {
            return Files.exists(cache) ? Json.mapper().readValue(cache.toFile(), Verdict.class) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void writeCache(Verdict v) {
        try {
            Files.write(cache, Json.mapper().writeValueAsBytes(v));
        } catch (IOException e) {
            LOG.debug("cannot cache the accelerator verdict: {}", e.toString());
        }
    }
}
