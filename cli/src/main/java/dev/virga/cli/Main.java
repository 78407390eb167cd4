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
        var cli = new CommandLine(new Main());
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
}
