package dev.virga.cli;

import picocli.CommandLine.Command;

/** {@code virga bench ...}: end-to-end figures (benchmarks print numbers; they never pass or fail on timing). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure Virga end to end against the running `virga up` (figures for docs/benchmarks.md).",
        subcommands = {LaunchBench.class, MemoryBench.class, CloneBench.class, SnapshotBench.class})
final class BenchCommands {
}
