-- A copy's disk reads through a snapshot of another instance: that snapshot (and instance) must outlive it.
ALTER TABLE instances ADD COLUMN base_instance VARCHAR(63) NOT NULL DEFAULT '';
ALTER TABLE instances ADD COLUMN base_snapshot VARCHAR(63) NOT NULL DEFAULT '';
