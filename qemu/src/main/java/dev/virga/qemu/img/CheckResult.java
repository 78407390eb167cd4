package dev.virga.qemu.img;

/**
 * {@code qemu-img check} of one image.
 *
 * @param corruptions metadata errors that can lose data
 * @param leaks allocated clusters nothing refers to (wasted space only)
 * @param checkErrors errors that stopped the check from looking everywhere
 */
public record CheckResult(String format, long corruptions, long leaks, long checkErrors) {
    public boolean isClean() {
        return corruptions == 0 && leaks == 0 && checkErrors == 0;
    }
}
