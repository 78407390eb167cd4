package dev.virga.vswitch;

/** How a load balancer picks the member of a new flow. */
public enum LbPolicy {
    /** The member whose vNIC would drain its output queue soonest (depth / drain rate), then fewest flows. */
    SHORTEST_QUEUE,
    /** Each new flow to the next member that is up. */
    ROUND_ROBIN
}
