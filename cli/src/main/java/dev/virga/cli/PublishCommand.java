package dev.virga.cli;

import dev.virga.api.PublishRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga publish VM[/SNAP] --alias NAME}: a VM (or one of its snapshots) becomes an image. */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = {"Make an image of a VM's disk that `launch` accepts; the image records which VM (and "
                + "snapshot) it came from. Its disk is flattened: the image does not depend on the VM.",
                "Without /SNAP: the disk as it is now (a running VM gets a quiesced snapshot for the purpose, "
                        + "removed afterwards)."})
final class PublishCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Parameters(index = "0", paramLabel = "VM[/SNAP]") String source;
    @Option(names = "--alias", required = true, description = "the image's name") String alias;
    @Option(names = "--warm", description = "also make the image's warm state on the VM's host, for launches of "
            + "the VM's vCPUs and memory (see `virga image warm`)") boolean warm;

    @Override
    public Integer call() {
        var ref = SnapshotRef.parse(source);
        var vm = ref.vm();
        var snapshot = ref.snapshot();
        var client = api.client();
        var done = ApiOptions.await(client, client.publish(vm, new PublishRequest(snapshot, alias, warm)),
                "publish " + source);
        System.out.println("image " + alias + " published from " + done.result().get("from") + ": "
                + done.result().get("fingerprint") + (warm ? " (warm)" : ""));
        return 0;
    }
}
