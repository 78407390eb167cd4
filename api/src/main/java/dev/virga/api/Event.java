package dev.virga.api;

import java.time.Instant;
import java.util.Map;

/**
 * Something that happened: lifecycle of instances, progress of operations.
 *
 * @param type   e.g. instance-started, instance-stopped, operation-updated
 * @param target the name or id it concerns
 */
public record Event(long id, Instant at, String type, String target, String message, Map<String, String> details) {
}
