package dev.virga.server.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A decision in words. Up to {@value #EVERY_HOST} hosts, each host's score or reason; beyond, the best few that fit
 * and each kind of rejection counted with one example, so a decision over 10,000 hosts stays a line (the dry run
 * still lists every host's verdict).
 */
final class Explanation {
    static final int EVERY_HOST = 20;
    static final int BEST = 3;

    private Explanation() {
    }

    static String of(List<Scheduler.Candidate> candidates) {
        return candidates.size() <= EVERY_HOST ? everyHost(candidates) : summary(candidates);
    }

    private static String everyHost(List<Scheduler.Candidate> candidates) {
        var sb = new StringBuilder();
        for (var c : candidates) {
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            sb.append(c.host()).append(": ").append(c.fits() ? score(c) : c.reason());
        }
        return sb.toString();
    }

    private static String summary(List<Scheduler.Candidate> candidates) {
        long fit = candidates.stream().filter(Scheduler.Candidate::fits).count();
        var best = best(candidates);
        var sb = new StringBuilder().append(candidates.size()).append(" hosts, ").append(fit).append(" fit");
        if (!best.isEmpty()) {
            sb.append(" (best: ");
            for (int i = 0; i < best.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(best.get(i).host()).append(" ").append(score(best.get(i)));
            }
            sb.append(")");
        }
        for (var kind : rejections(candidates).entrySet()) {
            sb.append("; ").append(kind.getValue().count).append(" ").append(kind.getKey())
                    .append(" (e.g. ").append(kind.getValue().example.host()).append(": ")
                    .append(kind.getValue().example.reason()).append(")");
        }
        return sb.toString();
    }

    /** The {@value #BEST} that fit with the highest scores (ties by name), without sorting every host. */
    private static List<Scheduler.Candidate> best(List<Scheduler.Candidate> candidates) {
        var order = Comparator.comparingDouble(Scheduler.Candidate::score).reversed()
                .thenComparing(Scheduler.Candidate::host);
        var best = new ArrayList<Scheduler.Candidate>(BEST + 1);
        for (var c : candidates) {
            if (c.fits() && (best.size() < BEST || order.compare(c, best.getLast()) < 0)) {
                best.add(c);
                best.sort(order);
                if (best.size() > BEST) {
                    best.removeLast();
                }
            }
        }
        return best;
    }

    /** Rejected hosts by the kind of reason (its words before the first colon), in the order first met. */
    private static Map<String, Kind> rejections(List<Scheduler.Candidate> candidates) {
        var kinds = new LinkedHashMap<String, Kind>();
        for (var c : candidates) {
            if (!c.fits()) {
                var reason = c.reason();
                var colon = reason.indexOf(':');
                kinds.computeIfAbsent(colon < 0 ? reason : reason.substring(0, colon), k -> new Kind(c)).count++;
            }
        }
        return kinds;
    }

    private static String score(Scheduler.Candidate c) {
        return String.format(Locale.ROOT, "score %.3f", c.score()) + (c.reason().isEmpty() ? "" : " (" + c.reason()
                + ")");
    }

    private static final class Kind {
        final Scheduler.Candidate example;
        int count;

        Kind(Scheduler.Candidate example) {
            this.example = example;
        }
    }
}
