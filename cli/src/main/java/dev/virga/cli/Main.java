package dev.virga.cli;

import dev.virga.client.ApiException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code virga} command. */
@Command(name = "virga", mixinStandardHelpOptions = true, version = "virga 0.1.0",
        description = "A self-hosted cloud for virtual machines (real QEMU guests).",
        subcommands = {
                UpCommand.class, DownCommand.class, DemoCommand.class, ServerCommand.class, AgentCommand.class,
                InstanceCommands.Launch.class, InstanceCommands.ListInstances.class, InstanceCommands.Info.class,
                InstanceCommands.Start.class, InstanceCommands.Stop.class, InstanceCommands.Restart.class,
                InstanceCommands.Pause.class, InstanceCommands.Resume.class, InstanceCommands.Delete.class,
                ExecCommand.class, ConsoleCommand.class, SnapshotCommands.class, BackupCommands.class, CopyCommand.class,
                PublishCommand.class,
                MoveCommand.class,
                ImageCommands.class, OperationCommands.class, EventsCommand.class, HostCommands.class,
                GroupCommands.class, NetworkCommands.class, LoadBalancerCommands.class, ConfigCommands.class,
                BenchCommands.class,
                CommandLine.HelpCommand.class})
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this in-process). */
    public static int run(String... args) {
        var cli = commandLine(args);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            switch (e) {
                case ApiException api -> cmd.getErr().println("Error: " + api.getMessage());
                case CliError c -> {
                    cmd.getErr().println("Error: " + c.getMessage());
                    return c.exitCode();
                }
                default -> {
                    cmd.getErr().println("Error: " + e);
                    if (System.getenv("VIRGA_DEBUG") != null) {
                        e.printStackTrace(cmd.getErr());
                    }
                }
            }
            return 1;
        });
        return cli.execute(args);
    }

    /** The root without subcommands: the one a command line names is added to it alone (see {@link #commandLine}). */
    @Command(name = "virga", mixinStandardHelpOptions = true, version = "virga 0.1.0",
            description = "A self-hosted cloud for virtual machines (real QEMU guests).")
    static final class Root {
    }

    /**
     * Picocli builds the model of every command it is given, by reflection: for all of them that is ~0.35 s of a
     * CLI process's start. A command line that names a top-level command gets a root with that command only (the
     * same options, help and errors); anything else (no command, an option first, an unknown name) the whole tree.
     */
    static CommandLine commandLine(String... args) {
        if (args.length > 0 && !args[0].startsWith("-")) {
            for (var sub : Main.class.getAnnotation(Command.class).subcommands()) {
                var command = sub.getAnnotation(Command.class);
                if (command != null && sub != CommandLine.HelpCommand.class && names(command).contains(args[0])) {
                    var root = new CommandLine(new Root());
                    root.addSubcommand(new CommandLine(instantiate(sub)));
                    return root;
                }
            }
        }
        return new CommandLine(new Main());
    }

    private static java.util.List<String> names(Command command) {
        var names = new java.util.ArrayList<>(java.util.List.of(command.name()));
        names.addAll(java.util.List.of(command.aliases()));
        return names;
    }

    private static Object instantiate(Class<?> type) {
        try {
            var constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make command " + type.getName(), e);
        }
    }
}
