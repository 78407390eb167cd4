package dev.virga.vswitch;

/** The loop's clock, read once per loop iteration so stages need no system call per frame. */
final class Now {
    long millis = System.nanoTime() / 1_000_000;

    void tick() {
        millis = System.nanoTime() / 1_000_000;
    }
}
