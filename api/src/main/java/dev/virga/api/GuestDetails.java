package dev.virga.api;

/** What the guest agent told about the guest; all empty when it did not answer. */
public record GuestDetails(boolean agentReady, String agentVersion, String os, String kernel, String hostname) {
    public static GuestDetails unknown() {
        return new GuestDetails(false, "", "", "", "");
    }
}
