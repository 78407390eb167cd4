package dev.virga.api;

import java.util.List;

/**
 * A placement group: its members go to one host ({@code affinity}) or each to a different host
 * ({@code anti-affinity}).
 */
public record Group(String name, String policy, List<String> members) {
    public static final String AFFINITY = "affinity";
    public static final String ANTI_AFFINITY = "anti-affinity";
}
