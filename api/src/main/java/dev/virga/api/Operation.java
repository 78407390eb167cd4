package dev.virga.api;

import java.time.Instant;
import java.util.Map;

/** Something slow the control plane is doing or has done. */
public record Operation(
        String id,
        String kind,
        String target,
        OperationStatus status,
        String progress,
        String error,
        Map<String, Object> result,
        Instant createdAt,
        Instant updatedAt) {
}
