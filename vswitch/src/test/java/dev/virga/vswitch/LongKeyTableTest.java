package dev.virga.vswitch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongKeyTableTest {
    @Test
    void behavesLikeAMapThroughGrowthAndDeletions() {
        LongKeyTable table = new LongKeyTable(16);
        Map<Long, Integer> model = new HashMap<>();
        Random random = new Random(42);
        for (int step = 0; step < 200_000; step++) {
            long key = 1 + random.nextInt(3000);
            if (random.nextInt(3) == 0) {
                assertThat(table.remove(key)).isEqualTo(model.remove(key) != null);
            } else {
                int value = random.nextInt(1000);
                table.put(key, value, step);
                model.put(key, value);
            }
        }
        assertThat(table.size()).isEqualTo(model.size());
        for (long key = 1; key <= 3000; key++) {
            Integer expected = model.get(key);
            assertThat(table.get(key)).isEqualTo(expected == null ? LongKeyTable.MISSING : expected);
        }
    }

    @Test
    void entriesOlderThanTheAgingTimeAreUnknownAndSweptAway() {
        LongKeyTable table = new LongKeyTable(16);
        table.put(7, 1, 1_000);
        table.put(8, 2, 5_000);
        assertThat(table.getFresh(7, 2_000)).isEqualTo(LongKeyTable.MISSING);
        assertThat(table.getFresh(8, 2_000)).isEqualTo(2);
        table.touch(7, 6_000);
        assertThat(table.getFresh(7, 2_000)).isEqualTo(1);
        table.put(9, 3, 100);
        table.removeIf((key, value, stamp) -> stamp < 2_000);
        assertThat(table.size()).isEqualTo(2);
        assertThat(table.get(9)).isEqualTo(LongKeyTable.MISSING);
    }
}
