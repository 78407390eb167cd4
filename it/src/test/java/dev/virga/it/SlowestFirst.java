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

    /**
     * JUnit forks the classes as tasks of a ForkJoinPool in this order: the thread that forked them runs them from the
     * end of the list (LIFO), the other steals from its start. Sorted longest first, one thread took the longest and
     * the other the shortest, and the last to run were middle-sized ones, one thread idle meanwhile (a 33 s longer
     * tail in the run of 2026-12-08). So the list is the longest-first order dealt out to both ends: 1st, 3rd, 5th,
     * ... from the start, 2nd, 4th, ... from the end, and each thread takes the longest one left on its side.
     */
    @Override
    public void orderClasses(ClassOrdererContext context) {
        var sorted = new java.util.ArrayList<>(context.getClassDescriptors());
        sorted.sort(Comparator.comparingLong((org.junit.jupiter.api.ClassDescriptor d) ->
                seconds(d.getTestClass().getSimpleName())).reversed()
                .thenComparing(d -> d.getTestClass().getSimpleName()));
        var head = new java.util.ArrayList<org.junit.jupiter.api.ClassDescriptor>();
        var tail = new java.util.ArrayList<org.junit.jupiter.api.ClassDescriptor>();
        for (int i = 0; i < sorted.size(); i++) {
            (i % 2 == 0 ? head : tail).add(sorted.get(i));
        }
        java.util.Collections.reverse(tail);
        head.addAll(tail);
        var order = context.getClassDescriptors();
        order.sort(Comparator.comparingInt(head::indexOf));
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
