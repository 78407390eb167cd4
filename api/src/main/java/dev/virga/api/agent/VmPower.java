package dev.virga.api.agent;

/** What a host really has for a VM. */
public enum VmPower {
    /** QEMU runs and the guest executes. */
    RUNNING,
    /** QEMU runs, vCPUs stopped. */
    PAUSED,
    /** The disk exists, no QEMU process. */
    STOPPED
}
