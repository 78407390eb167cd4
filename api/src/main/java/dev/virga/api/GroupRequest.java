package dev.virga.api;

/** Body of {@code POST /1.0/groups}: {@code policy} is {@code affinity} or {@code anti-affinity}. */
public record GroupRequest(String name, String policy) {
}
