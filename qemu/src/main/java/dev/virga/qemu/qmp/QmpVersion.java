package dev.virga.qemu.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * QEMU's version as the QMP greeting (or {@code query-version}) reports it.
 *
 * @param packageName the distribution's build string, e.g. {@code Debian 1:7.2+dfsg-7+deb12u18+b3}; "" if none
 */
public record QmpVersion(int major, int minor, int micro, String packageName) {

    /** Reads the {@code {"qemu": {...}, "package": ...}} object used by both the greeting and query-version. */
    static QmpVersion fromJson(JsonNode version) {
        JsonNode qemu = version.path("qemu");
        if (!qemu.has("major")) {
            throw new QmpException("no QEMU version in " + version);
        }
        return new QmpVersion(qemu.path("major").asInt(), qemu.path("minor").asInt(), qemu.path("micro").asInt(),
                version.path("package").asText("").trim());
    }

    public boolean atLeast(int wantMajor, int wantMinor) {
        return major > wantMajor || (major == wantMajor && minor >= wantMinor);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + micro;
    }
}
