package dev.virga.qemu.ga;

import java.util.List;

/** {@code guest-info}: the agent's version and the commands it has enabled. */
public record GuestInfo(String version, List<String> enabledCommands) {
    public GuestInfo {
        enabledCommands = List.copyOf(enabledCommands);
    }

    public boolean supports(String command) {
        return enabledCommands.contains(command);
    }
}
