package dev.virga.cli;

import dev.virga.api.CopyRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga copy VM[/SNAP] NEW}: a linked copy over a snapshot, in constant time. */
@Command(name = "copy", aliases = "cp", mixinStandardHelpOptions = true,
        description = {"Make a new VM whose disk is a delta over a snapshot of VM (the snapshot becomes a read-only "
                + "base shared by every copy; copying does not copy the disk).",
                "Without /SNAP a snapshot named copy-NEW is taken now: with memory if VM runs, so the copy resumes "
                        + "where VM was (unless --stateless, which boots the copy from the disk).",
                "The source and that snapshot cannot be deleted while copies use them."})
final class CopyCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Parameters(index = "0", paramLabel = "VM[/SNAP]", description = "source VM, optionally /snapshot") String source;
    @Parameters(index = "1", paramLabel = "NEW", description = "name of the new VM") String name;
    @Option(names = "--stateless", description = "boot the copy from the disk, do not resume memory") boolean stateless;

    @Override
    public Integer call() {
        var ref = SnapshotRef.parse(source);
        var vm = ref.vm();
        var snapshot = ref.snapshot();
        var client = api.client();
        var done = ApiOptions.await(client, client.copy(vm, new CopyRequest(name, snapshot, stateless)),
                "copy " + source + " to " + name);
        var r = done.result();
        System.out.printf("%s is running, a copy of %s/%s (%s) — %s%n", name, vm, r.get("snapshot"),
                Boolean.TRUE.equals(r.get("resumed")) ? "resumed from its memory" : "booted from its disk",
                Output.seconds(((Number) r.get("launchMillis")).longValue()));
        return 0;
    }
}
