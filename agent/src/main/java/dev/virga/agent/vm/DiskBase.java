package dev.virga.agent.vm;

import dev.virga.agent.AgentError;
import dev.virga.agent.storage.ImageStore;
import dev.virga.api.agent.VmSpec;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a new VM's disk is a delta over: an image, or for a copy another VM's snapshot layer (with the kernel it
 * boots and, for a stateful snapshot, the memory state a copy can resume from).
 */
record DiskBase(Path disk, long virtualSize, String kernel, String initrd, String cmdline, Optional<Path> state) {

    static DiskBase of(VmSpec spec, ImageStore images, Function<String, VmEntry> vms) {
        if (!spec.isCopy()) {
            var image = images.get(spec.imageFingerprint());
            return new DiskBase(image.disk(), image.manifest().virtualSize(),
                    image.kernel().map(Path::toString).orElse(""), image.initrd().map(Path::toString).orElse(""),
                    image.manifest().cmdline(), Optional.empty());
        }
        var source = vms.apply(spec.baseInstance());
        var chain = DiskChain.read(source.dir());
        var layer = chain.snapshot(spec.baseSnapshot()).orElseThrow(() ->
                AgentError.notFound("snapshot", spec.baseInstance() + "/" + spec.baseSnapshot()));
        var def = source.definition();
        var cmdline = def.cmdline().replaceAll("\\s*virga\\.hostname=\\S+", "");
        if (spec.resume() && !layer.stateful()) {
            throw AgentError.conflict("snapshot '" + layer.name() + "' of '" + spec.baseInstance()
                    + "' has no memory state to resume from");
        }
        if (spec.resume() && (spec.cpus() != def.cpus() || spec.memoryBytes() != def.memoryBytes())) {
            throw AgentError.badInput("cpus/memory", "a copy that resumes from memory must have the source's "
                    + def.cpus() + " vCPU and " + (def.memoryBytes() >> 20) + " MiB");
        }
        var state = layer.stateful() ? Optional.of(source.dir().resolve(layer.state())) : Optional.<Path>empty();
        return new DiskBase(source.dir().resolve(layer.file()), def.diskBytes(), def.kernel(), def.initrd(), cmdline,
                state);
    }
}
