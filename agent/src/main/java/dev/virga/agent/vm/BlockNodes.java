package dev.virga.agent.vm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virga.agent.AgentError;
import dev.virga.qemu.qmp.QmpClient;
import dev.virga.qemu.qmp.QmpEvent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Finding block nodes of a running QEMU by what they are (the disk device, a layer file), not by auto names. */
final class BlockNodes {
    private BlockNodes() {
    }

    /** The node at the top of the disk device's chain: the layer the guest writes. */
    static String top(QmpClient qmp) {
        for (JsonNode b : qmp.execute("query-block")) {
            if (b.path("qdev").asText().contains("vda-dev") && b.has("inserted")) {
                return b.path("inserted").path("node-name").asText();
            }
        }
        throw AgentError.failed("QEMU has no disk device vda-dev", null);
    }

    /** The file the top node writes. */
    static Path topFile(QmpClient qmp) {
        for (JsonNode b : qmp.execute("query-block")) {
            if (b.path("qdev").asText().contains("vda-dev") && b.has("inserted")) {
                return Path.of(b.path("inserted").path("file").asText());
            }
        }
        throw AgentError.failed("QEMU has no disk device vda-dev", null);
    }

    /** The qcow2 node that reads {@code file}, if QEMU has it open. */
    static Optional<String> formatNodeOf(QmpClient qmp, Path file) {
        for (JsonNode n : qmp.execute("query-named-block-nodes", Map.of("flat", true))) {
            if (n.path("drv").asText().equals("qcow2") && Path.of(n.path("file").asText()).equals(file)) {
                return Optional.of(n.path("node-name").asText());
            }
        }
        return Optional.empty();
    }

    /**
     * Streams the data of the layers between {@code base} and {@code node} into {@code node}, which then reads
     * through {@code base}: a live merge. Waits until the job ends.
     *
     * <p>The job is finalized by hand, after a flush. Left to finalize itself, QEMU rewrites the layer's backing-file
     * pointer at once but keeps the new cluster mappings in its cache: a QEMU killed then leaves a layer that reads
     * through {@code base} and no longer sees data it does not yet map (seen: a guest file lost). So the job stops
     * at "pending" (copied, backing not yet changed), the mappings are flushed while the layer still reads through
     * its old backing, and only then does the job change the backing file. A kill at any point leaves a layer that
     * reads right, through one backing or the other.
     */
    static void stream(QmpClient qmp, String node, String baseNode, Duration timeout) {
        var job = "stream-" + node.replaceAll("[^A-Za-z0-9_-]", "");
        try (var copied = qmp.expectEvent(e -> pending(e, job) || completed(e, job));
             var done = qmp.expectEvent(e -> completed(e, job))) {
            qmp.execute("block-stream", Map.of("job-id", job, "device", node, "base-node", baseNode,
                    "auto-finalize", false));
            if (pending(copied.await(timeout), job)) {
                whileStopped(qmp, () -> qmp.execute("job-finalize", Map.of("id", job)));
            }
            var event = done.await(timeout);
            if (event.data().has("error")) {
                throw AgentError.failed("merging disk layers failed: " + event.data().path("error").asText(), null);
            }
        }
    }

    private static boolean pending(QmpEvent e, String job) {
        return e.is("JOB_STATUS_CHANGE") && e.data().path("id").asText().equals(job)
                && e.data().path("status").asText().equals("pending");
    }

    private static boolean completed(QmpEvent e, String job) {
        return e.is("BLOCK_JOB_COMPLETED") && e.data().path("device").asText().equals(job);
    }

    /**
     * Makes QEMU write its cached qcow2 metadata to the files: stopping the VM flushes every disk, even a VM that
     * is paused already; there is no QMP flush command. A running guest pauses for the flush only.
     */
    static void flush(QmpClient qmp) {
        whileStopped(qmp, () -> { });
    }

    /** Stops the VM (which flushes every disk), does {@code action}, and lets the guest run again if it ran. */
    private static void whileStopped(QmpClient qmp, Runnable action) {
        boolean running = "running".equals(qmp.status());
        qmp.stop();
        try {
            action.run();
        } finally {
            if (running) {
                qmp.cont();
            }
        }
    }
}
