package dev.virga.it;

import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.ClassOrdererContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.Properties;

/**
 * Integration-test classes run two at a time (junit-platform.properties); handing out the longest first keeps the
 * last one from running alone at the end (longest-processing-time-first scheduling). The seconds per class come from
 * {@code it-class-seconds.properties}, the last measured run (./virga test prints them); a class not listed counts
 * as {@value #UNKNOWN_SECONDS} s.
 */
public final class SlowestFirst implements ClassOrderer {
    static final long UNKNOWN_SECONDS = 60;
    private static final Properties SECONDS = load();

    @Override
    public void orderClasses(ClassOrdererContext context) {
        context.getClassDescriptors().sort(Comparator.comparingLong((org.junit.jupiter.api.ClassDescriptor d) ->
                seconds(d.getTestClass().getSimpleName())).reversed()
                .thenComparing(d -> d.getTestClass().getSimpleName()));
    }

    static long seconds(String simpleName) {
        return Long.parseLong(SECONDS.getProperty(simpleName, String.valueOf(UNKNOWN_SECONDS)).strip());
    }

    private static Properties load() {
        var p = new Properties();
        try (var in = SlowestFirst.class.getResourceAsStream("/it-class-seconds.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
