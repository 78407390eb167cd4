package dev.virga.cli;

import dev.virga.api.Operation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * How long each step of an operation took, from the server's clock: an operation's {@code updatedAt} is the moment
 * its progress text last changed, so the time between two progress texts is the step in between. Fed the operation
 * each time the client sees a new progress text, then once ended. A step shorter than the client's poll (about a
 * second) may not be seen; its time then counts to the step before it.
 */
final class OperationPhases implements Consumer<Operation> {
    private final List<Operation> seen = new ArrayList<>();

    @Override
    public void accept(Operation o) {
        if (seen.isEmpty() || !seen.getLast().progress().equals(o.progress()) || o.status().done()) {
            seen.add(o);
        }
    }

    /** The step whose progress text starts with {@code prefix}, up to the next text or the operation's end. */
    Optional<Duration> step(String prefix) {
        for (int i = 0; i + 1 < seen.size(); i++) {
            if (!seen.get(i).status().done() && seen.get(i).progress().startsWith(prefix)) {
                return Optional.of(Duration.between(seen.get(i).updatedAt(), seen.get(i + 1).updatedAt()));
            }
        }
        return Optional.empty();
    }
}
