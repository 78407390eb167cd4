package dev.virga.vswitch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumsTest {
    @Test
    void incrementalUpdateOfAnAddressEqualsRecomputing() {
        Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            ByteBuffer header = ByteBuffer.allocate(20);
            random.ints(5).forEach(header::putInt);
            header.putShort(10, (short) 0);
            int sum = Checksums.ipv4Header(header, 0, 20);
            header.putShort(10, (short) sum);
            int before = header.getInt(16);
            int after = random.nextInt();
            header.putInt(16, after);
            int adjusted = Checksums.adjust32(sum, before, after);
            header.putShort(10, (short) 0);
            int recomputed = Checksums.ipv4Header(header, 0, 20);
            // one's complement has two zeros: 0x0000 and 0xFFFF verify alike
            assertThat(adjusted == recomputed || (adjusted ^ recomputed) == 0xFFFF && (adjusted == 0 || recomputed == 0))
                    .as("adjusted %04x recomputed %04x", adjusted, recomputed).isTrue();
        }
    }
}
