-- PostgreSQL: bump placement_changes.counter whenever a row placement reads changes (see V8).
CREATE FUNCTION placement_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE placement_changes SET counter = counter + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER instances_placed AFTER INSERT ON instances FOR EACH ROW
    WHEN (NEW.host <> '' OR NEW.moving_to <> '') EXECUTE FUNCTION placement_changed();
CREATE TRIGGER instances_unplaced AFTER DELETE ON instances FOR EACH ROW
    WHEN (OLD.host <> '' OR OLD.moving_to <> '') EXECUTE FUNCTION placement_changed();
CREATE TRIGGER instances_replaced AFTER UPDATE ON instances FOR EACH ROW
    WHEN (OLD.host IS DISTINCT FROM NEW.host OR OLD.moving_to IS DISTINCT FROM NEW.moving_to
        OR OLD.cpus IS DISTINCT FROM NEW.cpus OR OLD.memory_bytes IS DISTINCT FROM NEW.memory_bytes
        OR OLD.disk_bytes IS DISTINCT FROM NEW.disk_bytes)
    EXECUTE FUNCTION placement_changed();
CREATE TRIGGER hosts_added AFTER INSERT ON hosts FOR EACH ROW EXECUTE FUNCTION placement_changed();
CREATE TRIGGER hosts_removed AFTER DELETE ON hosts FOR EACH ROW EXECUTE FUNCTION placement_changed();
CREATE TRIGGER hosts_changed AFTER UPDATE ON hosts FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.mode IS DISTINCT FROM NEW.mode
        OR OLD.arch IS DISTINCT FROM NEW.arch OR OLD.cpus IS DISTINCT FROM NEW.cpus
        OR OLD.memory_bytes IS DISTINCT FROM NEW.memory_bytes OR OLD.disk_bytes IS DISTINCT FROM NEW.disk_bytes
        OR OLD.labels_json IS DISTINCT FROM NEW.labels_json)
    EXECUTE FUNCTION placement_changed();
CREATE TRIGGER image_hosts_added AFTER INSERT ON image_hosts FOR EACH ROW EXECUTE FUNCTION placement_changed();
CREATE TRIGGER image_hosts_removed AFTER DELETE ON image_hosts FOR EACH ROW EXECUTE FUNCTION placement_changed();
