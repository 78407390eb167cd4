package dev.virga.server.host;

import dev.virga.api.agent.HostReport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a host's row says about it that changes only when the host does (from its report: not its VMs, not the time,
 * not its actual memory and disk use, which change at every look).
 */
record HostFacts(int cpus, long memoryBytes, String arch, String accelerator, String acceleratorReason,
                 String qemuVersion, long diskBytes, Map<String, String> labels) {
    /** How stale the stored {@code last_seen} (and actual use) of a host that keeps answering may get. */
    static final long LAST_SEEN_WRITE_MILLIS = 30_000;

    static HostFacts of(HostReport r) {
        return new HostFacts(r.cpus(), r.memoryBytes(), r.arch(), r.accelerator(), r.acceleratorReason(),
                r.qemuVersion(), r.diskBytes(), r.labels());
    }

    /** The last answer: when, and the actual use it reported. */
    record Seen(long at, long memoryAvailableBytes, long diskFreeBytes) {
    }

    /** What was last written to each host's row (with state online), and when. */
    static final class Written {
        private record Row(HostFacts facts, long at) {
        }

        private final Map<String, Row> rows = new ConcurrentHashMap<>();

        /** Whether the row must be written: never written by this server, changed, or its last_seen is too old. */
        boolean due(String host, HostFacts facts, long now) {
            var row = rows.get(host);
            return row == null || !row.facts().equals(facts) || now - row.at() >= LAST_SEEN_WRITE_MILLIS;
        }

        void wrote(String host, HostFacts facts, long now) {
            rows.put(host, new Row(facts, now));
        }

        /** The row no longer says online (or may not): the next answer writes it. */
        void forget(String host) {
            rows.remove(host);
        }
    }
}
