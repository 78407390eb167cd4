package dev.virga.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code virga config ...}: cluster-wide settings. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = {"Cluster-wide settings:",
                "  scheduler.weigher       spread (default: the emptiest host first) or pack (the fullest first)",
                "  scheduler.cpu_ratio     vCPUs allocated per host CPU (default 4)",
                "  scheduler.memory_ratio  memory allocated per byte of host memory (default 1)",
                "  scheduler.disk_ratio    disk allocated per byte of the host's file system (default 1)"},
        subcommands = {ConfigCommands.Show.class, ConfigCommands.Get.class, ConfigCommands.Set.class,
                ConfigCommands.Unset.class})
final class ConfigCommands {

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "Every setting.")
    static final class Show implements Callable<Integer> {
        @Mixin ApiOptions api;

        @Override
        public Integer call() {
            api.client().config().forEach((k, v) -> System.out.println(k + " = " + v));
            return 0;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "One setting's value.")
    static final class Get implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String key;

        @Override
        public Integer call() {
            var all = api.client().config();
            if (!all.containsKey(key)) {
                throw new CliError("KEY: unknown setting '" + key + "' (known: " + String.join(", ", all.keySet()) + ")");
            }
            System.out.println(all.get(key));
            return 0;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true, description = "Change a setting.")
    static final class Set implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String key;
        @Parameters(index = "1") String value;

        @Override
        public Integer call() {
            var all = api.client().setConfig(Map.of(key, value));
            System.out.println(key + " = " + all.get(key));
            return 0;
        }
    }

    @Command(name = "unset", mixinStandardHelpOptions = true, description = "Restore a setting's default.")
    static final class Unset implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String key;

        @Override
        public Integer call() {
            var change = new HashMap<String, String>();
            change.put(key, "");
            var all = api.client().setConfig(change);
            System.out.println(key + " = " + all.get(key) + " (default)");
            return 0;
        }
    }
}
