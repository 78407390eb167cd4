/**
 * Tenant networks (policy and allocation): networks with their subnets and VNIs, and the IPAM that gives each
 * instance NIC a MAC and an address. The hosts' switches (agent) carry the frames.
 */
package dev.virga.server.network;
