package dev.virga.api;

/**
 * What the guest agent told about the guest when it last became ready; all empty when it did not answer.
 *
 * @param clockOffsetMillis guest clock minus host clock, as measured then (a guest resumed from a stateful snapshot
 *                          is behind by the time since the snapshot until it corrects itself)
 */
public record GuestDetails(boolean agentReady, String agentVersion, String os, String kernel, String hostname,
                           long clockOffsetMillis) {

    public GuestDetails(boolean agentReady, String agentVersion, String os, String kernel, String hostname) {
        this(agentReady, agentVersion, os, kernel, hostname, 0);
    }

    public static GuestDetails unknown() {
        return new GuestDetails(false, "", "", "", "");
    }
}
