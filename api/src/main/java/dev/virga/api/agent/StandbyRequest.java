package dev.virga.api.agent;

/** {@code POST /agent/1.0/host/standby}: enter standby (the host must have no VM running) or leave it. */
public record StandbyRequest(boolean standby) {
}
