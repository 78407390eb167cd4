package dev.virga.api;

/** Lifecycle of an instance as the control plane reports it. */
public enum InstanceState {
    /** Accepted, waiting for a host. */
    PENDING,
    /** Disk and QEMU process being made on the host. */
    CREATING,
    STARTING,
    RUNNING,
    PAUSED,
    STOPPING,
    STOPPED,
    /** Something went wrong; {@code reason} says what. Start or delete leave this state. */
    ERROR,
    DELETING,
    /** Being moved to another host (stopped, its disk copied, started there if it ran). */
    MOVING,
    /** Its host is offline: the VM may still run there; its last known state is in {@code reason}. */
    UNKNOWN;

    /** States an operation passes through; nothing may stay in one without an operation driving it. */
    public boolean transitional() {
        return switch (this) {
            case PENDING, CREATING, STARTING, STOPPING, DELETING, MOVING -> true;
            case RUNNING, PAUSED, STOPPED, ERROR, UNKNOWN -> false;
        };
    }
}
