/**
 * Guest images built from Debian packages: the default {@code tiny} image (cloud kernel as a PVH
 * {@code vmlinux}, a small initramfs, an ext4 root disk as qcow2 with busybox and the real
 * {@code qemu-guest-agent}), cached under {@code <imagesDir>/<fingerprint>/} by a fingerprint of
 * the build inputs.
 */
package dev.virga.qemu.image;
