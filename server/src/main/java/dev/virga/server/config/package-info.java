/** Cluster-wide settings kept in the store. */
package dev.virga.server.config;
