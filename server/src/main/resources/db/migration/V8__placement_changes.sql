-- A counter of every change to what placement reads (which hosts hold which allocations, host state, mode,
-- capacity, labels, image holdings), bumped by triggers (V9, one per store kind) whoever writes: the placing
-- server keeps the cluster in memory and reads it again from the store only when this counter moved under it.
CREATE TABLE placement_changes (
    id      INTEGER PRIMARY KEY,
    counter BIGINT  NOT NULL
);
INSERT INTO placement_changes (id, counter) VALUES (1, 0);
