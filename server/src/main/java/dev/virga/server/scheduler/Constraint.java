package dev.virga.server.scheduler;

import dev.virga.api.Labels;
import dev.virga.server.http.ApiError;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** {@code label=value} or {@code label!=value}: what a host's labels must say for an instance to go there. */
public record Constraint(String label, boolean equal, String value) {
    private static final Pattern FORM = Pattern.compile("(" + Labels.KEY + ")(!?=)(" + Labels.VALUE + ")");

    /** Parses every constraint; the first malformed one is a 400 naming {@code constraints}. */
    public static List<Constraint> parseAll(List<String> texts) {
        return texts.stream().map(Constraint::parse).toList();
    }

    static Constraint parse(String text) {
        var m = FORM.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new ApiError.BadInput("constraints", "'" + text + "' is not label=value or label!=value ("
                    + Labels.RULES + ")");
        }
        return new Constraint(m.group(1), m.group(2).equals("="), m.group(3));
    }

    /** Whether a host with these labels satisfies it (a missing label is the empty value). */
    boolean holds(Map<String, String> labels) {
        return labels.getOrDefault(label, "").equals(value) == equal;
    }

    @Override
    public String toString() {
        return label + (equal ? "=" : "!=") + value;
    }
}
