package dev.virga.cli;

import dev.virga.api.ExecRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;

/** Runs a command in a guest through its guest agent, like {@code incus exec}. */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = {"Run a command in a running VM through its guest agent.",
                "Prints the command's stdout and stderr and exits with its exit code (128+N if killed by signal N).",
                "Example: virga exec vm1 -- uname -a"})
final class ExecCommand implements Callable<Integer> {
    @Mixin ApiOptions api;
    @Parameters(index = "0", description = "VM name") String name;
    @Parameters(index = "1..*", arity = "1..*", description = "command and arguments (put them after --)")
    List<String> command;
    @Option(names = {"-i", "--stdin"}, description = "pass this command's standard input to the guest command")
    boolean stdin;
    @Option(names = "--timeout", description = "seconds to wait for the command (default 300)") int timeout;

    @Override
    public Integer call() throws IOException {
        var input = stdin ? Base64.getEncoder().encodeToString(System.in.readAllBytes()) : "";
        var result = api.client().exec(name, new ExecRequest(command, input, timeout));
        System.out.write(Base64.getDecoder().decode(result.stdoutBase64()));
        System.out.flush();
        System.err.write(Base64.getDecoder().decode(result.stderrBase64()));
        System.err.flush();
        if (result.truncated()) {
            System.err.println("(output truncated by the guest agent)");
        }
        return result.signal() > 0 ? 128 + result.signal() : result.exitCode();
    }
}
