package dev.virga.cli;

import dev.virga.api.MoveRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga move VM [--target HOST]}. */
@Command(name = "move", mixinStandardHelpOptions = true,
        description = {"Move a VM to another host: it is stopped, its disk chain (with its snapshots) is copied to "
                + "the new host, and it is started there again if it ran. Without --target the scheduler chooses "
                + "(never the current host). The image must be on the new host. Linked copies do not move.",
                "Live moves (--live) are not available yet."})
final class MoveCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Parameters(index = "0", description = "VM name") String name;
    @Option(names = "--target", description = "the host to move to") String target;
    @Option(names = "--force", description = "with --target: skip its capacity and group checks") boolean force;
    @Option(names = "--live", description = "keep it running while it moves (not available yet)") boolean live;

    @Override
    public Integer call() {
        var client = api.client();
        var op = client.move(name, new MoveRequest(target, force, live));
        var done = ApiOptions.await(client, op, "move " + name);
        System.out.printf("%s moved from %s to %s in %s (%s copied)%n", name, done.result().get("from"),
                done.result().get("host"), Output.seconds(((Number) done.result().get("millis")).longValue()),
                dev.virga.api.Sizes.format(((Number) done.result().get("bytes")).longValue()));
        if (done.result().containsKey("warning")) {
            System.err.println("warning: " + done.result().get("warning"));
        }
        return 0;
    }
}
