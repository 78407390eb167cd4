package dev.virga.agent.vm;

import dev.virga.api.GuestDetails;
import dev.virga.client.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * What the agent remembers of a VM across its own restarts ({@code state.json}): why it last stopped and what its
 * guest agent said.
 */
record VmMemo(String lastStopReason, GuestDetails guest, String accelerator) {
    static final String FILE = "state.json";

    static VmMemo empty() {
        return new VmMemo("", GuestDetails.unknown(), "");
    }

    static VmMemo read(Path instanceDir) {
        var f = instanceDir.resolve(FILE);
        if (!Files.exists(f)) {
            return empty();
        }
        try {
            return Json.mapper().readValue(f.toFile(), VmMemo.class);
        } catch (IOException e) {
            return empty();
        }
    }

    void write(Path instanceDir) {
        try {
            var tmp = instanceDir.resolve(FILE + ".tmp");
            Files.write(tmp, Json.mapper().writeValueAsBytes(this));
            Files.move(tmp, instanceDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // only a memo: losing it loses a reason text, never a VM
        }
    }

    VmMemo withReason(String reason) {
        return new VmMemo(reason, guest, accelerator);
    }

    VmMemo withGuest(GuestDetails g, String accel) {
        return new VmMemo(lastStopReason, g, accel);
    }
}
