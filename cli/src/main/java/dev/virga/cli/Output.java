package dev.virga.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.virga.api.Instance;
import dev.virga.api.Sizes;
import dev.virga.client.Json;

import java.util.List;
import java.util.Locale;

/** How the CLI shows things: tables for people, JSON for scripts. */
final class Output {
    private Output() {
    }

    static void json(Object value) {
        try {
            System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new CliError("cannot print JSON: " + e.getMessage());
        }
    }

    static void instances(List<Instance> instances) {
        var t = new Table("NAME", "STATE", "IMAGE", "HOST", "CPUS", "MEMORY", "DISK", "ACCEL", "LAUNCH", "REASON");
        for (var i : instances) {
            t.row(i.name(), state(i), i.image(), i.host(), i.cpus(), Sizes.format(i.memoryBytes()),
                    Sizes.format(i.diskBytes()), i.accelerator().isEmpty() ? "-" : i.accelerator(),
                    i.launchMillis() == 0 ? "-" : seconds(i.launchMillis()), i.reason().isEmpty() ? "" : i.reason());
        }
        t.print(System.out);
    }

    static String state(Instance i) {
        return i.state().name().toLowerCase(Locale.ROOT);
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1fs", millis / 1000.0);
    }
}
