package dev.virga.server.config;

import dev.virga.server.http.ApiError;
import dev.virga.server.scheduler.Scheduler;
import org.jdbi.v3.core.Jdbi;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Cluster-wide settings kept in the store ({@code virga config set KEY VALUE}), each checked when set. A key not
 * set has its default.
 */
public final class Settings {
    public static final String WEIGHER = "scheduler.weigher";
    public static final String CPU_RATIO = "scheduler.cpu_ratio";
    public static final String MEMORY_RATIO = "scheduler.memory_ratio";
    public static final String DISK_RATIO = "scheduler.disk_ratio";

    private record Key(String defaultValue, String help, Function<String, String> check) {
    }

    private static final Map<String, Key> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put(WEIGHER, new Key("spread", "spread (the emptiest host first) or pack (the fullest host first)",
                v -> v.equals("spread") || v.equals("pack") ? "" : "must be spread or pack"));
        KEYS.put(CPU_RATIO, new Key("4", "vCPUs allocated per host CPU", v -> ratio(v, 64)));
        KEYS.put(MEMORY_RATIO, new Key("1", "memory allocated per byte of host memory", v -> ratio(v, 4)));
        KEYS.put(DISK_RATIO, new Key("1", "disk allocated per byte of the host's file system", v -> ratio(v, 100)));
    }

    private final Jdbi jdbi;

    public Settings(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** Every key with its current value (defaults included). */
    public Map<String, String> all() {
        var stored = jdbi.withHandle(h -> h.createQuery("SELECT name, setting_value FROM settings")
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2))).list());
        var out = new TreeMap<String, String>();
        KEYS.forEach((k, v) -> out.put(k, v.defaultValue()));
        stored.forEach(e -> {
            if (KEYS.containsKey(e.getKey())) {
                out.put(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    /** Checks every change first, then applies them all; a {@code null} or empty value restores the default. */
    public Map<String, String> update(Map<String, String> changes) {
        for (var e : changes.entrySet()) {
            var key = KEYS.get(e.getKey());
            if (key == null) {
                throw new ApiError.BadInput(e.getKey(), "unknown setting (known: " + String.join(", ", KEYS.keySet())
                        + ")");
            }
            if (e.getValue() != null && !e.getValue().isBlank()) {
                var why = key.check().apply(e.getValue().strip());
                if (!why.isEmpty()) {
                    throw new ApiError.BadInput(e.getKey(), "'" + e.getValue() + "' " + why + " (" + key.help() + ")");
                }
            }
        }
        jdbi.useTransaction(h -> changes.forEach((k, v) -> {
            h.createUpdate("DELETE FROM settings WHERE name = :n").bind("n", k).execute();
            if (v != null && !v.isBlank()) {
                h.createUpdate("INSERT INTO settings (name, setting_value) VALUES (:n, :v)").bind("n", k)
                        .bind("v", v.strip()).execute();
            }
        }));
        return all();
    }

    /** The scheduler's policy as set now. */
    public Scheduler.Policy policy() {
        var all = all();
        return new Scheduler.Policy(Scheduler.Weigher.valueOf(all.get(WEIGHER).toUpperCase(Locale.ROOT)),
                Double.parseDouble(all.get(CPU_RATIO)), Double.parseDouble(all.get(MEMORY_RATIO)),
                Double.parseDouble(all.get(DISK_RATIO)));
    }

    private static String ratio(String v, double max) {
        try {
            double d = Double.parseDouble(v);
            return d > 0 && d <= max && Double.isFinite(d) ? "" : "is out of range (above 0, at most " + max + ")";
        } catch (NumberFormatException e) {
            return "is not a number";
        }
    }
}
