package dev.virga.server.leader;

/** SQLite: one server owns the file, so it always leads. */
final class SoleLock implements LeaderLock {
    @Override
    public boolean tryAcquire() {
        return true;
    }

    @Override
    public boolean held() {
        return true;
    }

    @Override
    public void close() {
    }
}
