package dev.virga.backup;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.Locale;

/** Turns an {@link IOException} of the repository's own files into the {@link BackupException} a caller can act on. */
final class IoErrors {

    private IoErrors() {
    }

    static BackupException translate(Path repository, String what, IOException e) {
        if (isNoSpace(e)) {
            return new BackupException.RepositoryFull(repository, e);
        }
        if (e instanceof AccessDeniedException || isReadOnly(e)) {
            return new BackupException.NotWritable(repository, what + ": " + e, e);
        }
        return new BackupException.Io(what, e);
    }

    static BackupException translate(Path repository, String what, RuntimeException e) {
        if (e instanceof BackupException b) {
            return b;
        }
        if (e instanceof ReadOnlyFileSystemException) {
            return new BackupException.NotWritable(repository, what + ": read-only file system", e);
        }
        throw e;
    }

    // Java reports ENOSPC and EDQUOT only through the message (strerror), as a plain IOException or a
    // FileSystemException whose reason is that text.
    static boolean isNoSpace(IOException e) {
        var text = message(e);
        return text.contains("no space left on device") || text.contains("disk quota exceeded");
    }

    private static boolean isReadOnly(IOException e) {
        return message(e).contains("read-only file system");
    }

    private static String message(IOException e) {
        var text = e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.getMessage();
        return text == null ? "" : text.toLowerCase(Locale.ROOT);
    }
}
