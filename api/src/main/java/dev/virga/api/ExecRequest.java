package dev.virga.api;

import java.util.List;

/**
 * Body of {@code POST /1.0/instances/{name}/exec}: run a command in the guest through its guest agent.
 *
 * @param stdinBase64 bytes given to the command's standard input (may be empty)
 * @param timeout     seconds to wait for the command to end (0 = default)
 */
public record ExecRequest(List<String> command, String stdinBase64, int timeout) {
}
