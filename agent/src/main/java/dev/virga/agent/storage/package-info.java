/** The host's image store: base disks by fingerprint (built or imported) and the check of imported files. */
package dev.virga.agent.storage;
