/**
 * Backups (policy): backup repositories, which repository a backup goes to, restore as a new instance, retention.
 * The copy and the repository itself are the host's (agent {@code DiskBackup}, module {@code backup}).
 */
package dev.virga.server.backup;
