package dev.virga.vswitch;

import java.util.Arrays;

/** Attached ports by their small index, so tables store ints instead of references. */
final class PortIndex {
    Port[] byIndex = new Port[16];

    int freeIndex() {
        for (int i = 0; i < byIndex.length; i++) {
            if (byIndex[i] == null) {
                return i;
            }
        }
        int index = byIndex.length;
        byIndex = Arrays.copyOf(byIndex, byIndex.length * 2);
        return index;
    }
}
