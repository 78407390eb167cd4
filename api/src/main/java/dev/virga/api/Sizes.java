package dev.virga.api;

import java.util.Locale;
import java.util.regex.Pattern;

/** Byte sizes as people write them: {@code 256M}, {@code 1G}, {@code 512MiB}, {@code 2GB}, {@code 1048576}. */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)(?:\\s*([kmgt])(?:i?b)?|\\s*b)?");
    public static final long KIB = 1024;
    public static final long MIB = 1024 * KIB;
    public static final long GIB = 1024 * MIB;

    private Sizes() {
    }

    /**
     * Parses a size; units are binary (M = MiB), a bare number is bytes.
     *
     * @throws IllegalArgumentException saying why the text is not a size
     */
    public static long parse(String text) {
        var m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 256M, 1G, 512MiB)");
        }
        long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
            case "k" -> KIB;
            case "m" -> MIB;
            case "g" -> GIB;
            default -> 1024 * GIB;
        };
        // what format() prints (1.5GiB) must parse back; fractions of a byte are not sizes
        var number = new java.math.BigDecimal(m.group(1)).multiply(java.math.BigDecimal.valueOf(unit));
        if (number.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        if (number.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
        return number.longValueExact();
    }

    /** Short human form: 256MiB, 1.5GiB. */
    public static String format(long bytes) {
        if (bytes < KIB) {
            return bytes + "B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return (v == Math.floor(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.1f", v)) + units[i];
    }
}
