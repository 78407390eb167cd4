package dev.virga.cli;

import dev.virga.api.MoveRequest;
import dev.virga.api.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga move VM [--target HOST] [--live]}. */
@Command(name = "move", mixinStandardHelpOptions = true,
        description = {"Move a VM to another host. Without --target the scheduler chooses (never the current host). "
                + "The image must be on the new host. Linked copies do not move.",
                "Cold (default, and always for a stopped VM): the VM is stopped, its disk chain (with its snapshots) "
                        + "is copied to the new host, and it is started there again if it ran.",
                "--live (a running VM): it keeps running; its snapshot layers are copied, the layer it writes is "
                        + "mirrored to the new host (NBD) while memory is copied by QEMU's pre-copy, then it "
                        + "switches over with a pause of about the downtime limit. On a host without KVM (TCG) "
                        + "the guest is paused for the memory copy (1-3 s for 256 MiB): QEMU's dirty tracking "
                        + "under TCG loses writes during a live copy. A failure or "
                        + "`virga operation cancel` leaves it running where it was."})
final class MoveCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Parameters(index = "0", description = "VM name") String name;
    @Option(names = "--target", description = "the host to move to") String target;
    @Option(names = "--force", description = "with --target: skip its capacity and group checks") boolean force;
    @Option(names = "--live", description = "keep it running while it moves") boolean live;
    @Option(names = "--downtime-ms", description = "live: longest planned pause at the switch-over "
            + "(default ${DEFAULT-VALUE}; QEMU's own default is 300)", defaultValue = "100") long downtimeMillis;
    @Option(names = "--bandwidth", description = "live: cap per second for the disk mirror and the memory copy, "
            + "e.g. 512M (default ${DEFAULT-VALUE}; QEMU's own default is 128M)", defaultValue = "1G") String bandwidth;
    @Option(names = "--auto-converge", description = "live: slow the guest's vCPUs down if it dirties memory faster "
            + "than the link carries it") boolean autoConverge;

    @Override
    public Integer call() {
        var client = api.client();
        long bytesPerSecond;
        try {
            bytesPerSecond = Sizes.parse(bandwidth);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--bandwidth: " + e.getMessage());
        }
        var op = client.move(name, new MoveRequest(target, force, live, downtimeMillis, bytesPerSecond, autoConverge));
        var done = ApiOptions.await(client, op, "move " + name);
        var r = done.result();
        if (Boolean.TRUE.equals(r.get("live"))) {
            System.out.printf("%s moved live from %s to %s in %s: downtime %s ms (QEMU), memory %s, disk %s "
                            + "mirrored, %s of frozen layers copied%n", name, r.get("from"), r.get("host"),
                    Output.seconds(((Number) r.get("millis")).longValue()), r.getOrDefault("downtimeMillis", "?"),
                    size(r.get("memoryBytes")), size(r.get("diskBytes")), size(r.get("archiveBytes")));
        } else {
            System.out.printf("%s moved from %s to %s in %s (%s copied)%n", name, r.get("from"), r.get("host"),
                    Output.seconds(((Number) r.get("millis")).longValue()), size(r.get("bytes")));
        }
        if (r.containsKey("warning")) {
            System.err.println("warning: " + r.get("warning"));
        }
        return 0;
    }

    private static String size(Object bytes) {
        return bytes instanceof Number n ? Sizes.format(n.longValue()) : "?";
    }
}
