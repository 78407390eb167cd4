package dev.virga.server.instance;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.virga.api.GuestDetails;
import dev.virga.api.Instance;
import dev.virga.api.InstanceState;
import dev.virga.client.Json;

import java.time.Instant;

/** An instance as stored: the public view plus what only the control plane needs (the image's fingerprint). */
record InstanceRow(String name, String image, String fingerprint, String host, InstanceState state, String reason,
                   int cpus, long memoryBytes, long diskBytes, String accelerator, long launchMillis,
                   GuestDetails guest, long createdAt, long updatedAt, String group, LaunchSpec.Placing placing) {

    Instance toApi() {
        return new Instance(name, image, host, state, reason, cpus, memoryBytes, diskBytes, accelerator, launchMillis,
                Instant.ofEpochMilli(createdAt), Instant.ofEpochMilli(updatedAt), guest);
    }

    static String guestJson(GuestDetails guest) {
        try {
            return Json.mapper().writeValueAsString(guest);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static GuestDetails guest(String json) {
        if (json == null || json.isEmpty()) {
            return GuestDetails.unknown();
        }
        try {
            return Json.mapper().readValue(json, GuestDetails.class);
        } catch (JsonProcessingException e) {
            return GuestDetails.unknown();
        }
    }
}
