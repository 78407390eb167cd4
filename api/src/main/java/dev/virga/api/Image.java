package dev.virga.api;

import java.time.Instant;

/**
 * An image instances can be launched from.
 *
 * @param source "built:tiny", "imported:FILE" ...
 * @param usedBy number of instances whose disk needs this image
 */
public record Image(
        String name,
        String fingerprint,
        String format,
        long virtualSize,
        long fileSize,
        String os,
        String source,
        boolean bootsKernel,
        int usedBy,
        Instant createdAt) {
}
