package dev.virga.backup;

import java.util.List;

/**
 * What a retention policy does to one VM's backups: which it keeps and which it removes, newest first, each with
 * the reasons (e.g. {@code "last"}, {@code "daily 2025-03-14"}, or why nothing kept it).
 */
public record PrunePlan(String vm, RetentionPolicy policy, List<Decision> keep, List<Decision> remove) {

    public PrunePlan {
        keep = List.copyOf(keep);
        remove = List.copyOf(remove);
    }

    /** One backup and why it is kept or removed. */
    public record Decision(BackupInfo backup, List<String> reasons) {
        public Decision {
            reasons = List.copyOf(reasons);
        }
    }
}
