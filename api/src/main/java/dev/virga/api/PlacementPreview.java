package dev.virga.api;

import java.util.List;

/**
 * {@code POST /1.0/instances?dry-run=true}: where a launch would go and why, without making anything.
 *
 * @param host the chosen host, empty when none fits
 */
public record PlacementPreview(String host, List<Verdict> hosts) {

    /** One host's verdict: its score if it fits, else why not. */
    public record Verdict(String host, boolean fits, double score, String reason) {
    }
}
