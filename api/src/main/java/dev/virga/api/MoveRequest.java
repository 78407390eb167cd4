package dev.virga.api;

/**
 * Body of {@code POST /1.0/instances/{name}/move}.
 *
 * @param target the host to move to; empty lets the scheduler choose (never the current host)
 * @param force  with a target: skip its capacity and group checks
 * @param live   keep the VM running during the move (not available yet: a move stops the VM, copies its disk
 *               chain and starts it on the new host)
 */
public record MoveRequest(String target, boolean force, boolean live) {
    public MoveRequest {
        target = target == null ? "" : target;
    }
}
