/**
 * What a VM is to QEMU: its configuration ({@link dev.virga.qemu.vm.VmConfig}), where its
 * sockets and files live ({@link dev.virga.qemu.vm.VmPaths}), and the exact, deterministic
 * {@code qemu-system-x86_64} command line made from them ({@link dev.virga.qemu.vm.QemuCommandLine}).
 * Starting and supervising the process is the agent's business.
 */
package dev.virga.qemu.vm;
