package dev.virga.backup;

/**
 * Which backups of a VM to keep, with the semantics of {@code restic forget}: backups are taken newest first; each
 * rule keeps the newest backup of each of its last N periods that have a backup (periods without one do not count);
 * {@code keepLast} keeps the N newest. The rules are independent: a backup kept by several rules counts for each,
 * and is kept if any rule keeps it. A policy with no rule keeps everything. Build it with the withers:
 * {@code RetentionPolicy.NONE.withLast(3).withDaily(7)}.
 */
public record RetentionPolicy(int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly,
                              int keepYearly) {

    public static final RetentionPolicy NONE = new RetentionPolicy(0, 0, 0, 0, 0, 0);

    public RetentionPolicy {
        if (keepLast < 0 || keepHourly < 0 || keepDaily < 0 || keepWeekly < 0 || keepMonthly < 0 || keepYearly < 0) {
            throw new IllegalArgumentException("retention counts must be >= 0, got " + this);
        }
    }

    public boolean keepsEverything() {
        return equals(NONE);
    }

    public RetentionPolicy withLast(int n) {
        return new RetentionPolicy(n, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly);
    }

    public RetentionPolicy withHourly(int n) {
        return new RetentionPolicy(keepLast, n, keepDaily, keepWeekly, keepMonthly, keepYearly);
    }

    public RetentionPolicy withDaily(int n) {
        return new RetentionPolicy(keepLast, keepHourly, n, keepWeekly, keepMonthly, keepYearly);
    }

    public RetentionPolicy withWeekly(int n) {
        return new RetentionPolicy(keepLast, keepHourly, keepDaily, n, keepMonthly, keepYearly);
    }

    public RetentionPolicy withMonthly(int n) {
        return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, n, keepYearly);
    }

    public RetentionPolicy withYearly(int n) {
        return new RetentionPolicy(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, n);
    }
}
