/**
 * The host's image store: base disks by fingerprint (built or imported), the check of imported files, and the image
 * archive (an uncompressed tar of metadata.json, disk.qcow2, vmlinux, initrd.cpio) that exports write and imports read.
 */
package dev.virga.agent.storage;
