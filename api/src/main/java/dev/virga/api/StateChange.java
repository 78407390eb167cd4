package dev.virga.api;

/**
 * Body of {@code PUT /1.0/instances/{name}/state}.
 *
 * @param action  start, stop, restart, pause, resume
 * @param force   stop: power off at once instead of asking the guest
 * @param timeout stop/restart: seconds to wait for the guest before forcing (0 = default)
 */
public record StateChange(String action, boolean force, int timeout) {
}
