/**
 * Our QMP client: JSON commands and asynchronous events over QEMU's monitor unix socket.
 *
 * <p>{@link dev.virga.qemu.qmp.QmpClient} owns one connection and one reader thread that
 * demultiplexes replies (matched on the {@code id} every command carries) from events (which
 * QEMU often sends before the reply that caused them). The exceptions form a small closed
 * family rooted at {@link dev.virga.qemu.qmp.QmpException}.
 */
package dev.virga.qemu.qmp;
