package dev.virga.api.agent;

import dev.virga.api.GuestDetails;

/**
 * A VM as its host sees it.
 *
 * @param pid          QEMU's pid, 0 when stopped
 * @param reason       why it stopped last (guest powered off, QEMU killed by signal 9, ...), empty otherwise
 * @param startMillis  start request to QEMU running, for the last start by this agent (0 when unknown)
 * @param readyMillis  start request to guest agent ready (0 when unknown)
 * @param stopCount    how many times this VM stopped without being asked to, since the agent started; lets the
 *                     server notice a stop it missed between two looks
 * @param boot         how its last start by this agent began: {@code warm} (resumed its image's warm state),
 *                     {@code cold} (booted), {@code resumed} (a saved memory state of its own or its source's);
 *                     empty when unknown
 * @param bootReason   for a cold boot of a launch, why it did not resume a warm state
 */
public record VmStatus(
        String name,
        VmPower power,
        long pid,
        String reason,
        String accelerator,
        long startMillis,
        long readyMillis,
        long unexpectedStops,
        GuestDetails guest,
        String boot,
        String bootReason) {

    public VmStatus {
        boot = boot == null ? "" : boot;
        bootReason = bootReason == null ? "" : bootReason;
    }

    public VmStatus(String name, VmPower power, long pid, String reason, String accelerator, long startMillis,
                    long readyMillis, long unexpectedStops, GuestDetails guest) {
        this(name, power, pid, reason, accelerator, startMillis, readyMillis, unexpectedStops, guest, "", "");
    }
}
