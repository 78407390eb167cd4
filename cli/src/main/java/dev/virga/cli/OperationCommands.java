package dev.virga.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code virga operation ...}. */
@Command(name = "operation", aliases = "op", mixinStandardHelpOptions = true,
        description = "Look at operations (everything slow is one).",
        subcommands = {OperationCommands.ListOps.class, OperationCommands.Show.class, OperationCommands.Cancel.class})
final class OperationCommands {

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "Recent operations.")
    static final class ListOps implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--format", defaultValue = "table", description = "table or json") String format;

        @Override
        public Integer call() {
            var ops = api.client().operations();
            if (format.equals("json")) {
                Output.json(ops);
                return 0;
            }
            var t = new Table("ID", "KIND", "TARGET", "STATUS", "CREATED", "ERROR");
            for (var o : ops) {
                t.row(o.id(), o.kind(), o.target(), o.status().name().toLowerCase(), o.createdAt(), o.error());
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One operation, as JSON.")
    static final class Show implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String id;

        @Override
        public Integer call() {
            Output.json(api.client().operation(id));
            return 0;
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Cancel an operation that can be cancelled now (a launch waiting for capacity).")
    static final class Cancel implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String id;

        @Override
        public Integer call() {
            var client = api.client();
            client.cancel(id);
            var done = client.waitFor(id, java.time.Duration.ofSeconds(30));
            System.out.println("operation " + id + ": " + done.status().name().toLowerCase()
                    + (done.error().isEmpty() ? "" : " (" + done.error() + ")"));
            return 0;
        }
    }
}
