package dev.virga.vswitch;

import java.util.ArrayList;
import java.util.List;

/**
 * The ordered stages every frame goes through. The built-in stages sit between the
 * {@link StagePoint}s; stages added at a point run there in the order they were added. The array is
 * rebuilt on change (loop thread) so running it allocates nothing.
 */
final class Pipeline {
    private record Added(StagePoint point, Stage stage) {
    }

    private final Stage antiSpoofing;
    private final List<Stage> responders;
    private final Stage loadBalancing;
    private final Stage forwarding;
    private final Stage output;
    private final List<Added> added = new ArrayList<>();
    private Stage[] stages;

    Pipeline(Stage antiSpoofing, List<Stage> responders, Stage loadBalancing, Stage forwarding, Stage output) {
        this.antiSpoofing = antiSpoofing;
        this.responders = List.copyOf(responders);
        this.loadBalancing = loadBalancing;
        this.forwarding = forwarding;
        this.output = output;
        rebuild();
    }

    void add(StagePoint point, Stage stage) {
        added.add(new Added(point, stage));
        rebuild();
    }

    boolean remove(Stage stage) {
        boolean removed = added.removeIf(a -> a.stage() == stage);
        rebuild();
        return removed;
    }

    private void rebuild() {
        List<Stage> all = new ArrayList<>();
        addAt(all, StagePoint.INGRESS);
        all.add(antiSpoofing);
        addAt(all, StagePoint.AFTER_ANTI_SPOOFING);
        all.addAll(responders);
        addAt(all, StagePoint.AFTER_RESPONDERS);
        all.add(loadBalancing);
        addAt(all, StagePoint.AFTER_LOAD_BALANCER);
        all.add(forwarding);
        addAt(all, StagePoint.BEFORE_OUTPUT);
        all.add(output);
        stages = all.toArray(Stage[]::new);
    }

    private void addAt(List<Stage> all, StagePoint point) {
        for (Added a : added) {
            if (a.point() == point) {
                all.add(a.stage());
            }
        }
    }

    /** Runs the frame through the stages; returns false when a stage dropped it. */
    boolean run(Packet packet) {
        for (Stage stage : stages) {
            Verdict verdict = stage.process(packet);
            if (verdict != Verdict.CONTINUE) {
                return verdict != Verdict.DROP;
            }
        }
        return true;
    }
}
