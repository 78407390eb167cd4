package dev.virga.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * An undo stack for multi-step host work: register how to take back each step; unless {@link #keep()} is called,
 * closing runs them newest first, so a failure half-way leaves nothing behind.
 * <pre>try (var undo = new Undo()) { make(); undo.push("remove x", () -> ...); ...; undo.keep(); }</pre>
 */
public final class Undo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Undo.class);
    private final Deque<Step> steps = new ArrayDeque<>();
    private boolean keep;

    /** One way back. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    private record Step(String what, Action action) {
    }

    public void push(String what, Action action) {
        steps.push(new Step(what, action));
    }

    /** The work succeeded: forget the undo steps. */
    public void keep() {
        keep = true;
    }

    @Override
    public void close() {
        if (keep) {
            return;
        }
        while (!steps.isEmpty()) {
            var step = steps.pop();
            try {
                step.action().run();
            } catch (Exception e) {
                LOG.warn("undo step '{}' failed: {}", step.what(), e.toString());
            }
        }
    }
}
