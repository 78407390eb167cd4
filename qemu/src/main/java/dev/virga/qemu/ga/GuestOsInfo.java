package dev.virga.qemu.ga;

/**
 * {@code guest-get-osinfo}; the agent may omit any field (a minimal agent often knows only the
 * kernel), and a missing field is "".
 */
public record GuestOsInfo(String id, String name, String prettyName, String version, String versionId,
                          String kernelRelease, String kernelVersion, String machine) {
}
