package dev.virga.vswitch;

/**
 * An open-addressing map from a non-zero long key to an int value and a last-seen time, without
 * boxing: the MAC table and the flow table. Linear probing with backward-shift deletion (no
 * tombstones). It grows (the only allocation) when more than half full.
 */
final class LongKeyTable {
    static final int MISSING = Integer.MIN_VALUE;

    private long[] keys;
    private int[] values;
    private long[] stamps;
    private int mask;
    private int size;

    LongKeyTable(int initialCapacity) {
        int capacity = Integer.highestOneBit(Math.max(16, initialCapacity - 1) << 1);
        keys = new long[capacity];
        values = new int[capacity];
        stamps = new long[capacity];
        mask = capacity - 1;
    }

    int size() {
        return size;
    }

    int capacity() {
        return keys.length;
    }

    private static int hash(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32));
    }

    private int slot(long key) {
        int i = hash(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key || k == 0) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /** The value, or {@link #MISSING}. */
    int get(long key) {
        int i = slot(key);
        return keys[i] == 0 ? MISSING : values[i];
    }

    /** The value if it was seen at or after {@code notBefore}, else {@link #MISSING}. */
    int getFresh(long key, long notBefore) {
        int i = slot(key);
        return keys[i] == 0 || stamps[i] < notBefore ? MISSING : values[i];
    }

    void put(long key, int value, long stamp) {
        if (key == 0) {
            throw new IllegalArgumentException("key 0 is reserved");
        }
        int i = slot(key);
        if (keys[i] == 0) {
            if ((size + 1) * 2 > keys.length) {
                grow();
                i = slot(key);
            }
            keys[i] = key;
            size++;
        }
        values[i] = value;
        stamps[i] = stamp;
    }

    /** Updates the stamp of a present key; returns false when absent. */
    boolean touch(long key, long stamp) {
        int i = slot(key);
        if (keys[i] == 0) {
            return false;
        }
        stamps[i] = stamp;
        return true;
    }

    boolean remove(long key) {
        int i = slot(key);
        if (keys[i] == 0) {
            return false;
        }
        deleteAt(i);
        return true;
    }

    private void deleteAt(int hole) {
        size--;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            long k = keys[j];
            if (k == 0) {
                break;
            }
            int home = hash(k) & mask;
            // move k into the hole unless its home lies cyclically in (hole, j]
            boolean homeInRange = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!homeInRange) {
                keys[hole] = k;
                values[hole] = values[j];
                stamps[hole] = stamps[j];
                hole = j;
            }
        }
        keys[hole] = 0;
    }

    /** Visits every entry; the visitor may ask to remove it. */
    interface Visitor {
        /** Returns true to remove the entry. */
        boolean visit(long key, int value, long stamp);
    }

    void removeIf(Visitor visitor) {
        int i = 0;
        while (i < keys.length) {
            long k = keys[i];
            if (k != 0 && visitor.visit(k, values[i], stamps[i])) {
                deleteAt(i);
                continue; // an entry may have shifted into i
            }
            i++;
        }
    }

    /** Told about each entry {@link #removeStale} removes. */
    interface Removal {
        void removed(long key, int value);
    }

    /** Removes every entry last seen before {@code notBefore}; allocation-free (runs on the loop). */
    void removeStale(long notBefore, Removal removal) {
        int i = 0;
        while (i < keys.length) {
            long k = keys[i];
            if (k != 0 && stamps[i] < notBefore) {
                int value = values[i];
                deleteAt(i);
                if (removal != null) {
                    removal.removed(k, value);
                }
                continue; // an entry may have shifted into i
            }
            i++;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        long[] oldStamps = stamps;
        keys = new long[oldKeys.length * 2];
        values = new int[keys.length];
        stamps = new long[keys.length];
        mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                int s = slot(oldKeys[i]);
                keys[s] = oldKeys[i];
                values[s] = oldValues[i];
                stamps[s] = oldStamps[i];
            }
        }
    }
}
