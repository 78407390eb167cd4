package dev.virga.cli;

import dev.virga.api.Operation;
import dev.virga.api.OperationStatus;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Option;

/** Options every API verb shares, and waiting on operations with progress. */
final class ApiOptions {
    @Option(names = "--url", paramLabel = "URL[,URL...]", description = "API address (default: $VIRGA_URL, else the "
            + "running `virga up`). Several servers on one PostgreSQL store: list them comma-separated; they are tried "
            + "in order, moving on when one is down or is a standby (503), waiting up to 15 s for a leader.")
    String url;

    VirgaClient client() {
        return Home.client(url);
    }

    /** Waits for an operation, showing its progress on stderr; fails with the server's message. */
    static Operation await(VirgaClient client, Operation op, String what) {
        var done = client.await(op, o -> System.err.println(what + ": " + o.progress()));
        if (done.status() != OperationStatus.SUCCESS) {
            throw new CliError(what + " failed: " + done.error());
        }
        return done;
    }
}
