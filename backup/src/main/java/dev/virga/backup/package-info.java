/**
 * The backup repository: a directory of content-addressed, zstd-compressed chunks shared by every backup of every
 * VM, and one JSON index per backup listing its disks' chunks in order. It knows nothing of QEMU: the agent hands it
 * the chunks that changed since a previous backup; see {@link dev.virga.backup.BackupRepository}.
 */
package dev.virga.backup;
