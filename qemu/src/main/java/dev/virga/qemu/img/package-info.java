/**
 * {@code qemu-img}, the only way Virga touches disk images on the host: inspect, create
 * linked-clone overlays, convert, resize, check. Output is read as JSON, never parsed from
 * human text; failures carry the tool's own message.
 */
package dev.virga.qemu.img;
