package dev.virga.api;

import java.util.regex.Pattern;

/** What a host label may look like (agents set them, launch constraints match them). */
public final class Labels {
    /** Lower-case letters, digits, {@code . _ / -}; at most 63. */
    public static final String KEY = "[a-z0-9][a-z0-9._/-]{0,62}";
    /** Letters, digits, {@code . _ : / -}; at most 63, may be empty. */
    public static final String VALUE = "[A-Za-z0-9._:/-]{0,63}";
    /** How a refusal explains the grammar. */
    public static final String RULES = "label: lower-case letters, digits, . _ / -; value: letters, digits, . _ : / -";
    private static final Pattern KEY_PATTERN = Pattern.compile(KEY);
    private static final Pattern VALUE_PATTERN = Pattern.compile(VALUE);

    private Labels() {
    }

    public static boolean valid(String key, String value) {
        return KEY_PATTERN.matcher(key).matches() && VALUE_PATTERN.matcher(value).matches();
    }
}
