package dev.virga.vswitch;

import static dev.virga.vswitch.TestFrames.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageTest {
    static final long A = mac("52:54:00:00:00:0a");
    static final long B = mac("52:54:00:00:00:0b");

    @TempDir
    Path dir;

    @Test
    void anAddedStageSeesTheForwardingDecisionAndCanDropBeforeOutput() {
        try (Lab lab = new Lab(dir)) {
            lab.vswitch.createNetwork(4);
            FakeQemu a = lab.nic("a", 4, "52:54:00:00:00:0a", "10.0.0.10");
            FakeQemu b = lab.nic("b", 4, "52:54:00:00:00:0b", "10.0.0.11");
            List<String> seen = new CopyOnWriteArrayList<>();
            Stage divert = packet -> {
                seen.add(packet.ingressPort().orElse("?") + "->" + packet.egressPort().orElse(packet.flooded() ? "flood" : "?"));
                // drop frames whose first payload byte is 'x'
                return packet.frame().get(packet.frame().position() + 14) == 'x' ? Verdict.DROP : Verdict.CONTINUE;
            };
            lab.vswitch.addStage(StagePoint.BEFORE_OUTPUT, divert);

            b.send(raw(MacAddress.BROADCAST.value(), B, "hello"));
            a.receive();
            a.send(raw(B, A, "x: held back"));
            byte[] passes = raw(B, A, "passes");
            a.send(passes);
            b.assertNext(passes);
            assertThat(seen).containsExactly("b->flood", "a->b", "a->b");
            assertThat(lab.port("a").filtered()).isEqualTo(1);

            lab.vswitch.removeStage(divert);
            byte[] again = raw(B, A, "x: no stage any more");
            a.send(again);
            b.assertNext(again);
        }
    }
}
