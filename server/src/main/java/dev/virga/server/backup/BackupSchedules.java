package dev.virga.server.backup;

import dev.virga.api.BackupPruneRequest;
import dev.virga.api.BackupRequest;
import dev.virga.api.BackupSchedule;
import dev.virga.api.BackupScheduleRequest;
import dev.virga.server.http.ApiError;
import dev.virga.server.instance.InstanceService;
import dev.virga.server.operation.Operations;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * Scheduled backups ({@code backup_schedules}): the leader looks every {@link #TICK} for schedules whose time has
 * come and starts an ordinary backup operation for each (then, with {@code keepLast}, a prune). A run that cannot
 * start (the instance is busy or not running/stopped) is noted in {@code last_result} and tried at the next interval.
 */
public final class BackupSchedules implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackupSchedules.class);
    static final Duration TICK = Duration.ofSeconds(15);
    static final long MIN_SECONDS = 60;
    private static final Pattern EVERY = Pattern.compile("([1-9][0-9]{0,6})([smhd])");
    private final Jdbi jdbi;
    private final BackupService backups;
    private final InstanceService instances;
    private final Operations operations;
    private final BooleanSupplier leading;
    private volatile Thread loop;

    public BackupSchedules(Jdbi jdbi, BackupService backups, InstanceService instances, Operations operations,
                           BooleanSupplier leading) {
        this.jdbi = jdbi;
        this.backups = backups;
        this.instances = instances;
        this.operations = operations;
        this.leading = leading;
    }

    public BackupSchedule set(String instance, BackupScheduleRequest request) {
        instances.get(instance);
        long seconds = parse(request.every());
        if (!request.repo().isEmpty() && backups.repos().stream().noneMatch(r -> r.name().equals(request.repo()))) {
            throw new ApiError.BadInput("repo", "no backup repository named '" + request.repo() + "'");
        }
        if (request.keepLast() < 0) {
            throw new ApiError.BadInput("keepLast", "cannot be negative: " + request.keepLast());
        }
        long next = System.currentTimeMillis() + seconds * 1000;
        jdbi.useHandle(h -> {
            h.createUpdate("DELETE FROM backup_schedules WHERE instance = :i").bind("i", instance).execute();
            h.createUpdate("INSERT INTO backup_schedules (instance, repo, every_seconds, keep_last, next_at, "
                            + "last_result) VALUES (:i, :r, :s, :k, :n, '')").bind("i", instance)
                    .bind("r", request.repo()).bind("s", seconds).bind("k", request.keepLast()).bind("n", next)
                    .execute();
        });
        return get(instance);
    }

    public List<BackupSchedule> list() {
        return jdbi.withHandle(h -> h.createQuery("SELECT instance, repo, every_seconds, keep_last, next_at, "
                + "last_result FROM backup_schedules ORDER BY instance").map((rs, ctx) -> new BackupSchedule(
                rs.getString(1), rs.getString(2), format(rs.getLong(3)), rs.getInt(4),
                Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6))).list());
    }

    public BackupSchedule get(String instance) {
        return list().stream().filter(s -> s.instance().equals(instance)).findFirst()
                .orElseThrow(() -> new ApiError.NotFound("backup schedule of", instance));
    }

    public void remove(String instance) {
        get(instance);
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM backup_schedules WHERE instance = :i").bind("i", instance)
                .execute());
    }

    /** Starts the schedules that are due at {@code nowMillis}; returns how many were due. */
    int tick(long nowMillis) {
        int due = 0;
        for (var s : list()) {
            if (s.nextAt().toEpochMilli() > nowMillis) {
                continue;
            }
            due++;
            String result;
            try {
                var op = backups.create(s.instance(), new BackupRequest(s.repo(), false));
                result = "backup operation " + op.id() + " started at " + Instant.ofEpochMilli(nowMillis);
                if (s.keepLast() > 0) {
                    Thread.ofVirtual().start(() -> pruneAfter(op.id(), s));
                }
            } catch (ApiError e) {
                result = "not run at " + Instant.ofEpochMilli(nowMillis) + ": " + e.getMessage();
                LOG.info("scheduled backup of {}: {}", s.instance(), e.getMessage());
            }
            long next = nowMillis + parse(s.every()) * 1000;
            var text = result;
            jdbi.useHandle(h -> h.createUpdate("UPDATE backup_schedules SET next_at = :n, last_result = :r "
                    + "WHERE instance = :i").bind("n", next).bind("r", text).bind("i", s.instance()).execute());
        }
        return due;
    }

    private void pruneAfter(String operationId, BackupSchedule s) {
        var done = operations.waitFor(operationId, Duration.ofHours(12));
        if (done.status() == dev.virga.api.OperationStatus.SUCCESS) {
            try {
                backups.prune(s.instance(), new BackupPruneRequest(String.valueOf(done.result().get("repo")),
                        s.keepLast(), 0, 0, 0, 0, 0, false));
            } catch (RuntimeException e) {
                LOG.warn("scheduled prune of {}: {}", s.instance(), e.getMessage());
            }
        }
    }

    /** Runs {@link #tick} every {@link #TICK} while this server leads. */
    public synchronized void start() {
        if (loop != null) {
            return;
        }
        loop = Thread.ofVirtual().name("backup-schedules").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(TICK);
                    if (leading.getAsBoolean()) {
                        tick(System.currentTimeMillis());
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("backup schedules: {}", e.toString());
                }
            }
        });
    }

    @Override
    public synchronized void close() {
        if (loop != null) {
            loop.interrupt();
            loop = null;
        }
    }

    static long parse(String every) {
        var m = EVERY.matcher(every == null ? "" : every.strip());
        if (!m.matches()) {
            throw new ApiError.BadInput("every", "'" + every + "' is not an interval such as 90s, 30m, 1h or 1d");
        }
        long n = Long.parseLong(m.group(1));
        long seconds = switch (m.group(2)) {
            case "s" -> n;
            case "m" -> n * 60;
            case "h" -> n * 3600;
            default -> n * 86400;
        };
        if (seconds < MIN_SECONDS) {
            throw new ApiError.BadInput("every", "'" + every + "' is shorter than the minimum of 1m");
        }
        return seconds;
    }

    static String format(long seconds) {
        if (seconds % 86400 == 0) {
            return seconds / 86400 + "d";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }
}
