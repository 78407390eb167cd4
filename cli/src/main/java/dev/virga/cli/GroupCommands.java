package dev.virga.cli;

import dev.virga.api.Group;
import dev.virga.api.GroupRequest;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga group ...}: placement groups. */
@Command(name = "group", mixinStandardHelpOptions = true,
        description = "Placement groups: members on one host (--affinity) or each on its own host (--anti-affinity). "
                + "Launch into one with virga launch ... --group NAME.",
        subcommands = {GroupCommands.Create.class, GroupCommands.ListGroups.class, GroupCommands.Info.class,
                GroupCommands.Delete.class})
final class GroupCommands {

    static final class Policy {
        @Option(names = "--affinity", required = true, description = "members go to the same host") boolean affinity;
        @Option(names = "--anti-affinity", required = true, description = "members go to different hosts")
        boolean anti;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a placement group.")
    static final class Create implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "group name") String name;
        @ArgGroup(multiplicity = "1") Policy policy;

        @Override
        public Integer call() {
            var g = api.client().createGroup(new GroupRequest(name, policy.anti ? Group.ANTI_AFFINITY : Group.AFFINITY));
            System.out.println("group " + g.name() + " (" + g.policy() + ") created");
            return 0;
        }
    }

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List placement groups.")
    static final class ListGroups implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--format", defaultValue = "table", description = "table or json") String format;

        @Override
        public Integer call() {
            var groups = api.client().groups();
            if (format.equals("json")) {
                Output.json(groups);
                return 0;
            }
            var t = new Table("NAME", "POLICY", "MEMBERS");
            for (var g : groups) {
                t.row(g.name(), g.policy(), g.members().isEmpty() ? "-" : String.join(",", g.members()));
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "One placement group, as JSON.")
    static final class Info implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;

        @Override
        public Integer call() {
            Output.json(api.client().group(name));
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an empty placement group.")
    static final class Delete implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;

        @Override
        public Integer call() {
            api.client().deleteGroup(name);
            System.out.println("group " + name + " deleted");
            return 0;
        }
    }
}
