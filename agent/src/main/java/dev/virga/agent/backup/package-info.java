/** Backup repositories as this host reaches them (a directory, local or a mounted share): open, list, verify, prune. */
package dev.virga.agent.backup;
