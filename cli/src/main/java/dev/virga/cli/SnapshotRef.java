package dev.virga.cli;

/** {@code VM} or {@code VM/SNAP} as copy and publish take them; an empty snapshot means "none named". */
record SnapshotRef(String vm, String snapshot) {
    static SnapshotRef parse(String text) {
        var slash = text.indexOf('/');
        return slash < 0 ? new SnapshotRef(text, "") : new SnapshotRef(text.substring(0, slash), text.substring(slash + 1));
    }
}
