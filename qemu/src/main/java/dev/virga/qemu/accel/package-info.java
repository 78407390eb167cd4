/**
 * Which QEMU accelerator to run guests with. KVM is trusted only after it has booted a real probe
 * guest within a bound: on some hosts {@code /dev/kvm} opens but guests hang, so TCG is the
 * fallback.
 */
package dev.virga.qemu.accel;
