package dev.virga.api;

import java.time.Instant;

/** A one-use token a new host presents to join ({@code POST /1.0/hosts/tokens}). */
public record JoinToken(String token, Instant expiresAt) {
}
