package dev.virga.backup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static dev.virga.backup.Repositories.CHUNK;
import static dev.virga.backup.Repositories.full;
import static org.assertj.core.api.Assertions.assertThat;

class RetentionTest {

    @TempDir
    Path tmp;

    private static BackupInfo at(String time) {
        return new BackupInfo("vm1-" + time.replace(":", ""), "vm1", Instant.parse(time), "", false, CHUNK, List.of(),
                BackupStats.NONE);
    }

    private static List<String> ids(List<PrunePlan.Decision> decisions) {
        return decisions.stream().map(d -> d.backup().created().toString()).toList();
    }

    private static PrunePlan plan(RetentionPolicy policy, BackupInfo... backups) {
        return Retention.plan("vm1", List.of(backups), policy, ZoneOffset.UTC);
    }

    @Test
    void keepLastKeepsTheNewest() {
        var plan = plan(RetentionPolicy.NONE.withLast(2), at("2025-03-01T10:00:00Z"), at("2025-03-03T10:00:00Z"),
                at("2025-03-02T10:00:00Z"), at("2025-03-04T10:00:00Z"));

        assertThat(ids(plan.keep())).containsExactly("2025-03-04T10:00:00Z", "2025-03-03T10:00:00Z");
        assertThat(ids(plan.remove())).containsExactly("2025-03-02T10:00:00Z", "2025-03-01T10:00:00Z");
        assertThat(plan.keep()).allSatisfy(d -> assertThat(d.reasons()).containsExactly("last"));
        assertThat(plan.remove().getFirst().reasons()).containsExactly("not among the last 2");
    }

    @Test
    void keepDailyKeepsTheNewestOfEachOfTheLastDaysThatHaveABackup() {
        var plan = plan(RetentionPolicy.NONE.withDaily(3),
                at("2025-03-01T08:00:00Z"), at("2025-03-01T20:00:00Z"),
                at("2025-03-02T08:00:00Z"), at("2025-03-02T20:00:00Z"),
                // no backup on the 3rd and 4th: those days do not count
                at("2025-03-05T08:00:00Z"), at("2025-03-05T20:00:00Z"));

        assertThat(ids(plan.keep())).containsExactly("2025-03-05T20:00:00Z", "2025-03-02T20:00:00Z",
                "2025-03-01T20:00:00Z");
        assertThat(plan.keep().getFirst().reasons()).containsExactly("daily 2025-03-05");
        assertThat(ids(plan.remove())).containsExactly("2025-03-05T08:00:00Z", "2025-03-02T08:00:00Z",
                "2025-03-01T08:00:00Z");
        assertThat(plan.remove().getFirst().reasons())
                .containsExactly("a newer backup is kept for daily 2025-03-05");
    }

    @Test
    void rulesAreIndependentAsInRestic() {
        // one backup a day: keep-last 1 and keep-daily 2 both count today's backup, so two are kept, not three
        var plan = plan(RetentionPolicy.NONE.withLast(1).withDaily(2), at("2025-03-01T10:00:00Z"),
                at("2025-03-02T10:00:00Z"), at("2025-03-03T10:00:00Z"), at("2025-03-04T10:00:00Z"));

        assertThat(ids(plan.keep())).containsExactly("2025-03-04T10:00:00Z", "2025-03-03T10:00:00Z");
        assertThat(plan.keep().getFirst().reasons()).containsExactly("last", "daily 2025-03-04");
        assertThat(plan.remove().getLast().reasons())
                .containsExactly("not among the last 1", "older than the 2 daily periods kept");
    }

    @Test
    void weeklyMonthlyAndHourlyBucketByTheirPeriod() {
        var backups = new ArrayList<BackupInfo>();
        for (var day = Instant.parse("2025-01-01T12:00:00Z"); day.isBefore(Instant.parse("2025-04-01T00:00:00Z"));
             day = day.plusSeconds(86_400)) {
            backups.add(at(day.toString()));
        }
        var monthly = Retention.plan("vm1", backups, RetentionPolicy.NONE.withMonthly(2), ZoneOffset.UTC);
        var weekly = Retention.plan("vm1", backups, RetentionPolicy.NONE.withWeekly(2), ZoneOffset.UTC);
        var hourly = plan(RetentionPolicy.NONE.withHourly(2), at("2025-03-01T10:05:00Z"),
                at("2025-03-01T10:55:00Z"), at("2025-03-01T11:30:00Z"), at("2025-03-01T12:10:00Z"));

        assertThat(ids(monthly.keep())).containsExactly("2025-03-31T12:00:00Z", "2025-02-28T12:00:00Z");
        // 2025-03-31 is a Monday (week 14); the week before ends on Sunday 2025-03-30
        assertThat(ids(weekly.keep())).containsExactly("2025-03-31T12:00:00Z", "2025-03-30T12:00:00Z");
        assertThat(weekly.keep().getLast().reasons()).containsExactly("weekly 2025-W13");
        assertThat(ids(hourly.keep())).containsExactly("2025-03-01T12:10:00Z", "2025-03-01T11:30:00Z");
        assertThat(monthly.keep().size() + monthly.remove().size()).isEqualTo(backups.size());
    }

    @Test
    void noRuleKeepsEverything() {
        var plan = plan(RetentionPolicy.NONE, at("2025-03-01T10:00:00Z"), at("2025-03-02T10:00:00Z"));

        assertThat(plan.remove()).isEmpty();
        assertThat(plan.keep()).hasSize(2);
    }

    @Test
    void pruneDeletesWhatThePolicyDoesNotKeepAndGarbageCollectionFreesTheirChunks() throws IOException {
        var clock = new Repositories.ManualClock(Instant.parse("2025-03-01T22:00:00Z"));
        var dir = tmp.resolve("repo");
        Repositories.init(dir);
        var repo = BackupRepository.open(dir, ChunkStore.FSYNCED, clock, 2);
        var image = new TestImage(51, 4 * CHUNK, CHUNK);
        var file = tmp.resolve("d.raw");
        var made = new ArrayList<BackupInfo>();
        for (int day = 0; day < 5; day++) {
            image.change(day % 4);
            made.add(repo.backup(full("vm1", image.write(file), 4 * CHUNK), BackupProgress.NONE));
            clock.now = clock.now.plusSeconds(86_400);
        }

        var planned = repo.planPrune("vm1", RetentionPolicy.NONE.withDaily(2), ZoneOffset.UTC);
        assertThat(repo.list("vm1")).hasSize(5);
        var pruned = repo.prune("vm1", RetentionPolicy.NONE.withDaily(2), ZoneOffset.UTC);

        assertThat(pruned).isEqualTo(planned);
        assertThat(repo.list("vm1")).containsExactly(made.get(3), made.get(4));
        assertThat(pruned.remove()).extracting(d -> d.backup().id())
                .containsExactly(made.get(2).id(), made.get(1).id(), made.get(0).id());
        var gc = repo.collectGarbage();
        assertThat(gc.chunksKept()).isEqualTo(5); // 4 chunks of the newest + the one the newest changed back
        assertThat(Repositories.chunkFiles(dir)).hasSize(5);
        assertThat(repo.verify(made.get(3).id()).ok()).isTrue();
    }
}
