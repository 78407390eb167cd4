-- SQLite: bump placement_changes.counter whenever a row placement reads changes (see V8).
CREATE TRIGGER instances_placed AFTER INSERT ON instances
    WHEN NEW.host <> '' OR NEW.moving_to <> ''
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER instances_unplaced AFTER DELETE ON instances
    WHEN OLD.host <> '' OR OLD.moving_to <> ''
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER instances_replaced AFTER UPDATE ON instances
    WHEN OLD.host IS NOT NEW.host OR OLD.moving_to IS NOT NEW.moving_to OR OLD.cpus IS NOT NEW.cpus
        OR OLD.memory_bytes IS NOT NEW.memory_bytes OR OLD.disk_bytes IS NOT NEW.disk_bytes
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER hosts_added AFTER INSERT ON hosts
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER hosts_removed AFTER DELETE ON hosts
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER hosts_changed AFTER UPDATE ON hosts
    WHEN OLD.state IS NOT NEW.state OR OLD.mode IS NOT NEW.mode OR OLD.arch IS NOT NEW.arch
        OR OLD.cpus IS NOT NEW.cpus OR OLD.memory_bytes IS NOT NEW.memory_bytes
        OR OLD.disk_bytes IS NOT NEW.disk_bytes OR OLD.labels_json IS NOT NEW.labels_json
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER image_hosts_added AFTER INSERT ON image_hosts
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
CREATE TRIGGER image_hosts_removed AFTER DELETE ON image_hosts
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
END;
