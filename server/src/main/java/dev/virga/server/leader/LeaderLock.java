package dev.virga.server.leader;

/** A lock only one server holds at a time, released when the holder dies. */
interface LeaderLock extends AutoCloseable {
    /** Tries once, without waiting; true when this server holds the lock now. */
    boolean tryAcquire();

    /** Whether the lock is still ours (false once the session that holds it is gone). */
    boolean held();

    /** Gives the lock up. */
    @Override
    void close();
}
