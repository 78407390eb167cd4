package dev.virga.backup;

import java.nio.file.Path;

/**
 * What can go wrong with a backup repository, as a closed family so that a caller (the agent, the server's error
 * mapping) can tell "no such backup" from "the disk is full" without reading messages. Every message names the
 * offending path, backup or chunk. Bad arguments (a malformed name, a chunk index out of range) are
 * {@link IllegalArgumentException}s instead.
 */
public abstract sealed class BackupException extends RuntimeException {

    BackupException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The path does not exist, is not a directory, or holds no repository descriptor. */
    public static final class RepositoryNotFound extends BackupException {
        RepositoryNotFound(Path path, String why) {
            super("no backup repository at " + path + ": " + why, null);
        }
    }

    /** The repository was written by a Virga with another repository format. */
    public static final class UnsupportedFormat extends BackupException {
        UnsupportedFormat(Path path, int found, int supported) {
            super("the backup repository at " + path + " has format version " + found
                    + "; this Virga reads format version " + supported, null);
        }
    }

    /** The repository (or the directory meant to become one) cannot be written: permissions or a read-only mount. */
    public static final class NotWritable extends BackupException {
        NotWritable(Path path, String why, Throwable cause) {
            super("the backup repository at " + path + " is not writable: " + why, cause);
        }
    }

    /** The file system of the repository ran out of space (or quota); the backup in progress was abandoned. */
    public static final class RepositoryFull extends BackupException {
        RepositoryFull(Path path, Throwable cause) {
            super("no space left in the backup repository at " + path + " (" + cause.getMessage()
                    + "); the backup was abandoned and nothing was listed", cause);
        }
    }

    /** No backup has this id. */
    public static final class UnknownBackup extends BackupException {
        private final String backupId;

        UnknownBackup(String backupId, Path repository) {
            super("no backup with id " + backupId + " in the repository at " + repository, null);
            this.backupId = backupId;
        }

        public String backupId() {
            return backupId;
        }
    }

    /** A chunk a restore needs is missing or its content does not match its hash; the restore was abandoned. */
    public static final class DamagedChunk extends BackupException {
        private final DamagedChunkReport damage;

        DamagedChunk(DamagedChunkReport damage) {
            super("backup " + damage.backupId() + " is damaged: " + damage.describe(), null);
            this.damage = damage;
        }

        public DamagedChunkReport damage() {
            return damage;
        }
    }

    /** Another operation holds the repository (garbage collection while a backup is being written, or the reverse). */
    public static final class Busy extends BackupException {
        Busy(Path path, String why) {
            super("the backup repository at " + path + " is busy: " + why, null);
        }
    }

    /** The chunk source (the agent's reader of the disk) failed; the backup was abandoned and nothing was listed. */
    public static final class SourceFailed extends BackupException {
        SourceFailed(String vm, String disk, Throwable cause) {
            super("reading disk " + disk + " of " + vm + " failed: " + cause.getMessage()
                    + "; the backup was abandoned and nothing was listed", cause);
        }
    }

    /** Any other input/output failure of the repository. */
    public static final class Io extends BackupException {
        Io(String what, Throwable cause) {
            super(what + ": " + cause, cause);
        }
    }
}
