package dev.virga.vswitch;

import java.util.ArrayList;
import java.util.List;

/** The networks of this switch by VNI, looked up per overlay frame without boxing. */
final class SegmentTable {
    private final LongKeyTable slots = new LongKeyTable(16);
    private final List<Segment> bySlot = new ArrayList<>();

    private static long key(int vni) {
        return vni | (1L << 40);
    }

    Segment find(int vni) {
        int slot = slots.get(key(vni));
        return slot == LongKeyTable.MISSING ? null : bySlot.get(slot);
    }

    Segment require(int vni) {
        Segment segment = find(vni);
        if (segment == null) {
            throw new SwitchException("network " + vni + " does not exist");
        }
        return segment;
    }

    void add(Segment segment) {
        int slot = bySlot.indexOf(null);
        if (slot < 0) {
            slot = bySlot.size();
            bySlot.add(segment);
        } else {
            bySlot.set(slot, segment);
        }
        slots.put(key(segment.vni), slot, 0);
    }

    void remove(Segment segment) {
        int slot = slots.get(key(segment.vni));
        slots.remove(key(segment.vni));
        bySlot.set(slot, null);
    }

    /** Slots may be empty (null); iterate by index, allocation-free. */
    int slots() {
        return bySlot.size();
    }

    Segment atSlot(int slot) {
        return bySlot.get(slot);
    }
}
