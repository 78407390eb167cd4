package dev.virga.cli;

import picocli.CommandLine.Command;

/** {@code virga bench ...}: end-to-end figures (benchmarks print numbers; they never pass or fail on timing). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure Virga end to end (figures for docs/benchmarks.md): launch, memory, clone, snapshot, "
                + "backup, network and move (live, needs `virga up --hosts 2`) against the running `virga up`; "
                + "placement and heartbeat start their own server and SIMULATED hosts (a test and planning tool)."},
        subcommands = {LaunchBench.class, MemoryBench.class, CloneBench.class, SnapshotBench.class,
                PlacementBench.class, HeartbeatBench.class, MoveBench.class, BackupBench.class, NetworkBench.class})
final class BenchCommands {
}
