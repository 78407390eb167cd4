package dev.virga.backup;

import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/** Applies a {@link RetentionPolicy} to one VM's backups (restic's {@code ApplyPolicy}, without tags). */
final class Retention {

    private Retention() {
    }

    /** A rule: how many periods it keeps, and the period a backup time falls in ("2025-03-14" for daily). */
    private static final class Rule {
        final String name;
        final int count;
        int remaining;
        final Function<ZonedDateTime, String> period;
        String lastPeriod;

        Rule(String name, int count, Function<ZonedDateTime, String> period) {
            this.name = name;
            this.count = count;
            this.remaining = count;
            this.period = period;
        }
    }

    static PrunePlan plan(String vm, List<BackupInfo> backups, RetentionPolicy policy, ZoneId zone) {
        var newestFirst = new ArrayList<>(backups);
        newestFirst.sort(Comparator.comparing(BackupInfo::created).thenComparing(BackupInfo::id).reversed());
        var keep = new ArrayList<PrunePlan.Decision>();
        var remove = new ArrayList<PrunePlan.Decision>();
        if (policy.keepsEverything()) {
            newestFirst.forEach(b -> keep.add(new PrunePlan.Decision(b, List.of("no retention rule given"))));
            return new PrunePlan(vm, policy, keep, remove);
        }
        var rules = rules(policy);
        for (var backup : newestFirst) {
            var time = backup.created().atZone(zone);
            var reasons = new ArrayList<String>();
            for (var rule : rules) {
                if (rule.remaining == 0) {
                    continue;
                }
                var period = rule.period.apply(time);
                if (!period.equals(rule.lastPeriod)) {
                    rule.lastPeriod = period;
                    rule.remaining--;
                    reasons.add(rule.name.equals("last") ? "last" : rule.name + " " + period);
                }
            }
            if (reasons.isEmpty()) {
                remove.add(new PrunePlan.Decision(backup, whyRemoved(rules, time)));
            } else {
                keep.add(new PrunePlan.Decision(backup, reasons));
            }
        }
        return new PrunePlan(vm, policy, keep, remove);
    }

    private static List<Rule> rules(RetentionPolicy p) {
        var counter = new int[]{0};
        return List.of(
                // every backup is its own period for keep-last
                new Rule("last", p.keepLast(), t -> "#" + counter[0]++),
                new Rule("hourly", p.keepHourly(), t -> t.format(DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH"))),
                new Rule("daily", p.keepDaily(), t -> t.format(DateTimeFormatter.ISO_LOCAL_DATE)),
                new Rule("weekly", p.keepWeekly(), t -> "%d-W%02d".formatted(
                        t.get(IsoFields.WEEK_BASED_YEAR), t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR))),
                new Rule("monthly", p.keepMonthly(), t -> t.format(DateTimeFormatter.ofPattern("uuuu-MM"))),
                new Rule("yearly", p.keepYearly(), t -> t.format(DateTimeFormatter.ofPattern("uuuu"))));
    }

    private static List<String> whyRemoved(List<Rule> rules, ZonedDateTime time) {
        var parts = new ArrayList<String>();
        for (var rule : rules) {
            if (rule.count == 0) {
                continue;
            }
            if (rule.name.equals("last")) {
                parts.add("not among the last " + rule.count);
                continue;
            }
            var period = rule.period.apply(time);
            parts.add(period.equals(rule.lastPeriod)
                    ? "a newer backup is kept for " + rule.name + " " + period
                    : "older than the " + rule.count + " " + rule.name + " periods kept");
        }
        return parts;
    }
}
