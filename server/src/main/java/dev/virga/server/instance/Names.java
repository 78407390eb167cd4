package dev.virga.server.instance;

import dev.virga.server.http.ApiError;

import java.util.regex.Pattern;

/** The rule for names of instances and images: a DNS label, so names work as hostnames and in paths. */
public final class Names {
    public static final int MAX = 63;
    private static final Pattern LABEL = Pattern.compile("[a-z]([a-z0-9-]*[a-z0-9])?");

    private Names() {
    }

    /** @throws ApiError.BadInput naming {@code field} and what is wrong with {@code name} */
    public static String check(String field, String name) {
        if (name == null || name.isEmpty()) {
            throw new ApiError.BadInput(field, "must not be empty");
        }
        if (name.length() > MAX) {
            throw new ApiError.BadInput(field, "'" + name + "' is " + name.length()
                    + " characters long; at most " + MAX + " are allowed");
        }
        if (!LABEL.matcher(name).matches()) {
            throw new ApiError.BadInput(field, "'" + name + "' is not a valid name: use lowercase letters, digits and "
                    + "'-', starting with a letter and not ending with '-'");
        }
        return name;
    }
}
