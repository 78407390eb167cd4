package dev.virga.it;

import dev.virga.api.ExecRequest;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * A command in a guest through the public API ({@code POST /1.0/instances/{name}/exec}, what {@code virga exec}
 * sends), for tests that look into their guests again and again: a CLI process per look costs a JVM start (about a
 * second on these 2 cores under load). The result has the CLI's shape (exit code, 128+N for a signal; an API error is
 * exit 1 with {@code Error: ...}), so checks read alike. The `virga exec` verb itself is tested through the real CLI
 * (UserPathIT).
 */
final class GuestExec {
    private GuestExec() {
    }

    static CliResult run(VirgaClient client, String vm, List<String> argv, int timeoutSeconds) {
        try {
            var r = client.exec(vm, new ExecRequest(argv, "", timeoutSeconds));
            var out = Base64.getDecoder().decode(r.stdoutBase64() == null ? "" : r.stdoutBase64());
            var err = new String(Base64.getDecoder().decode(r.stderrBase64() == null ? "" : r.stderrBase64()),
                    StandardCharsets.UTF_8);
            return new CliResult(r.signal() > 0 ? 128 + r.signal() : r.exitCode(), out, err);
        } catch (ApiException e) {
            return new CliResult(1, new byte[0], "Error: " + e.getMessage());
        }
    }

    /** {@code sh -c script} in the guest. */
    static CliResult sh(VirgaClient client, String vm, String script) {
        return run(client, vm, List.of("sh", "-c", script), 120);
    }
}
