/**
 * Placement: pure functions from a snapshot of the cluster and a demand to a decision that explains itself
 * (why each host was rejected, or its score). Filters, then a weight.
 */
package dev.virga.server.scheduler;
