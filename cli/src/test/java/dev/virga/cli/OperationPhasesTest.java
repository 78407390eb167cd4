package dev.virga.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperationPhasesTest {
    private static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");

    @Test
    void eachStepLastsUntilTheNextProgressTextOrTheEnd() {
        var phases = new OperationPhases();
        phases.accept(op(OperationStatus.RUNNING, "launching r1", 0));
        phases.accept(op(OperationStatus.RUNNING, "restoring b onto r1", 30_000));
        phases.accept(op(OperationStatus.RUNNING, "starting r1", 42_500));
        phases.accept(op(OperationStatus.SUCCESS, "starting r1", 60_000));

        assertThat(phases.step("launching")).contains(Duration.ofSeconds(30));
        assertThat(phases.step("restoring")).contains(Duration.ofMillis(12_500));
        assertThat(phases.step("starting")).contains(Duration.ofMillis(17_500));
    }

    @Test
    void aStepNotSeenHasNoTime() {
        var phases = new OperationPhases();
        phases.accept(op(OperationStatus.RUNNING, "launching r1", 0));
        phases.accept(op(OperationStatus.SUCCESS, "launching r1", 5_000));

        assertThat(phases.step("stopping")).isEmpty();
        assertThat(phases.step("launching")).contains(Duration.ofSeconds(5));
    }

    private static Operation op(OperationStatus status, String progress, long millis) {
        return new Operation("op1", "backup-restore", "b", status, progress, "", Map.of(), T0,
                T0.plusMillis(millis));
    }
}
