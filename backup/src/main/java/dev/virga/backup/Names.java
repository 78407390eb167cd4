package dev.virga.backup;

import java.util.regex.Pattern;

/** VM, disk and backup names become file names: they are checked before they reach the file system. */
final class Names {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern BACKUP_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private Names() {
    }

    static String check(String what, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " '" + value + "' is not valid: use 1 to 63 letters, digits,"
                    + " '.', '_' or '-', starting with a letter or digit");
        }
        return value;
    }

    static boolean isBackupId(String value) {
        return value != null && BACKUP_ID.matcher(value).matches();
    }
}
