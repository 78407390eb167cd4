package dev.virga.server.leader;

import dev.virga.server.db.Database;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Whether this server leads. The first try is made by {@link #start()} itself, so a server that finds no leader
 * leads before it answers its first request; then a thread tries every {@link #RETRY} while this server stands by,
 * and checks every {@link #RETRY} that the lock is still held while it leads.
 */
public final class Leadership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
    static final Duration RETRY = Duration.ofSeconds(1);

    /** What a server does when it takes over or loses the lead. */
    public interface Duties {
        void lead();

        void standBy();
    }

    private final LeaderLock lock;
    private final LeaderRecord record;
    private final Supplier<String> self;
    private final Duties duties;
    private final Duration retry;
    private volatile boolean leading;
    private volatile boolean closed;
    /** After losing the lock, this server lets the standbys try first: the trouble is more likely its own. */
    private long quietUntil;
    private Thread thread;

    Leadership(LeaderLock lock, Jdbi jdbi, Supplier<String> self, Duties duties, Duration retry) {
        this.quietUntil = System.nanoTime();
        this.lock = lock;
        this.record = new LeaderRecord(jdbi);
        this.self = self;
        this.duties = duties;
        this.retry = retry;
    }

    /**
     * The advisory lock on PostgreSQL; always the leader on SQLite. {@code self} gives the URL recorded for others
     * (asked at the first step).
     */
    public static Leadership of(Database db, Supplier<String> self, Duties duties) {
        var lock = db.kind() == Database.Kind.POSTGRESQL ? new AdvisoryLock(db) : new SoleLock();
        return new Leadership(lock, db.jdbi(), self, duties, RETRY);
    }

    public synchronized void start() {
        if (thread != null) {
            return;
        }
        step();
        thread = Thread.ofPlatform().daemon().name("leader-election").start(this::loop);
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(retry);
            } catch (InterruptedException e) {
                return;
            }
            step();
        }
    }

    private synchronized void step() {
        if (closed) {
            return;
        }
        try {
            if (!leading && System.nanoTime() - quietUntil >= 0 && lock.tryAcquire()) {
                record.write(self.get());
                // what a starting server does comes first: no write is taken before operations left running by the
                // previous leader are marked failed
                duties.lead();
                leading = true;
                LOG.info("this server ({}) leads", self.get());
            } else if (leading && !lock.held()) {
                leading = false;
                quietUntil = System.nanoTime() + 3 * retry.toNanos();
                LOG.warn("this server ({}) lost the leader lock; standing by", self.get());
                duties.standBy();
            }
        } catch (RuntimeException e) {
            // the store is unreachable or a duty failed: give the lead up rather than lead half-way
            LOG.warn("leader election step failed: {}", e.getMessage(), e);
            if (leading) {
                quietUntil = System.nanoTime() + 3 * retry.toNanos();
            }
            leading = false;
            duties.standBy(); // also after a takeover that failed half-way: stopping what is not running is nothing
            lock.close();
        }
    }

    /** True while this server holds the lead: it may take writes and run background work. */
    public boolean leading() {
        return leading;
    }

    /** The URL the leader recorded, if any (possibly a leader that just died, until the next one records itself). */
    public Optional<String> leader() {
        return leading ? Optional.of(self.get()) : record.read();
    }

    /** Stops the background work and gives the lead up (a standby's next try takes it over); stops trying. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (leading) {
                // the background work stops before the lock goes, so two servers never run it at once
                leading = false;
                duties.standBy();
                try {
                    record.clear(self.get());
                } catch (RuntimeException e) {
                    LOG.debug("could not clear the leader record", e);
                }
            }
            lock.close();
        }
    }
}
