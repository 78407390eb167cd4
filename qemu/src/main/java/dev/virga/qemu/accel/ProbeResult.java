package dev.virga.qemu.accel;

import java.time.Duration;

/** The accelerator to use, why, and how long finding out took. */
public record ProbeResult(Accelerator accelerator, String reason, Duration took) {}
