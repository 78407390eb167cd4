package dev.virga.cli;

import dev.virga.api.Sizes;
import dev.virga.api.SnapshotRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga snapshot ...}. */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = "Snapshots of a VM's disk (live while it runs), optionally with its memory.",
        subcommands = {SnapshotCommands.Create.class, SnapshotCommands.ListSnapshots.class,
                SnapshotCommands.Restore.class, SnapshotCommands.Delete.class})
final class SnapshotCommands {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Take a snapshot. On a running VM it is live; the guest's filesystems are frozen through "
                    + "its guest agent while the disk is cut (the result says whether they were).",
                    "--stateful also saves memory and device state: restoring resumes the VM where it was."})
    static final class Create implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Parameters(index = "1", arity = "0..1", description = "snapshot name (default snap-DATE-TIME)") String name;
        @Option(names = "--stateful", description = "also save memory and device state") boolean stateful;

        @Override
        public Integer call() {
            var client = api.client();
            var done = ApiOptions.await(client, client.createSnapshot(vm, new SnapshotRequest(name, stateful)),
                    "snapshot " + vm);
            var r = done.result();
            System.out.printf("snapshot %s of %s taken (%s%s)%n", r.get("snapshot"), vm,
                    Boolean.TRUE.equals(r.get("live")) ? "live" : "offline",
                    Boolean.TRUE.equals(r.get("stateful")) ? ", with memory"
                            : Boolean.TRUE.equals(r.get("quiesced")) ? ", quiesced"
                            : Boolean.TRUE.equals(r.get("live")) ? ", not quiesced: the guest agent did not freeze" : "");
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List a VM's snapshots.")
    static final class ListSnapshots implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Option(names = "--format", defaultValue = "table", description = "table or json") String format;

        @Override
        public Integer call() {
            var list = api.client().snapshots(vm);
            if (format.equals("json")) {
                Output.json(list);
                return 0;
            }
            var t = new Table("NAME", "CREATED", "STATEFUL", "LIVE", "QUIESCED", "SIZE");
            for (var s : list) {
                t.row(s.name(), s.createdAt(), s.stateful() ? "yes" : "no", s.wasRunning() ? "yes" : "no",
                        s.quiesced() ? "yes" : "no", Sizes.format(s.sizeBytes()));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true,
            description = {"Put a VM back to a snapshot. A running VM is refused unless --force: it is then stopped, "
                    + "restored and started again. A stateful snapshot resumes running where it was."})
    static final class Restore implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Parameters(index = "1", description = "snapshot name") String name;
        @Option(names = "--force", description = "stop and restart a running VM") boolean force;

        @Override
        public Integer call() {
            var client = api.client();
            var done = ApiOptions.await(client, client.restoreSnapshot(vm, name, force), "restore " + vm);
            System.out.println(vm + " restored to " + name + " (" + done.result().get("state") + ")");
            return 0;
        }
    }

    @Command(name = "delete", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Delete a snapshot; its disk layer is merged into the layers above it (live if running).")
    static final class Delete implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "VM name") String vm;
        @Parameters(index = "1", description = "snapshot name") String name;

        @Override
        public Integer call() {
            var client = api.client();
            ApiOptions.await(client, client.deleteSnapshot(vm, name), "delete snapshot " + vm + "/" + name);
            System.out.println("snapshot " + name + " of " + vm + " deleted");
            return 0;
        }
    }
}
