package dev.virga.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * An asynchronous QMP event such as {@code SHUTDOWN} or {@code BLOCK_JOB_READY}.
 *
 * @param data the event's {@code data} member, an empty object when QEMU sent none
 * @param timestamp when QEMU emitted it (QEMU's clock, not when we read it)
 */
public record QmpEvent(String name, JsonNode data, Instant timestamp) {
    public QmpEvent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(timestamp, "timestamp");
    }

    public boolean is(String eventName) {
        return name.equals(eventName);
    }
}
