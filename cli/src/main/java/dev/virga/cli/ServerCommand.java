package dev.virga.cli;

import dev.virga.server.ServerConfig;
import dev.virga.server.VirgaServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code virga server}: the control plane alone; hosts join it with {@code virga agent}. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the control plane in the foreground (no local host: agents join it with a token from "
                + "`virga host add-token`). Writes its address to DIR/server.json."})
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "state directory (SQLite in DIR/db)") Path data;
    @Option(names = "--listen", defaultValue = "127.0.0.1", description = "address to listen on") String listen;
    @Option(names = "--port", defaultValue = "" + Home.DEFAULT_PORT, description = "API port (0: any free port)")
    int port;
    @Option(names = "--db", defaultValue = "", description = "state store as a JDBC URL (default: SQLite in DIR/db)")
    String db;

    @Override
    public Integer call() throws Exception {
        var server = VirgaServer.start(new ServerConfig(data.toAbsolutePath(), db, listen, port, Duration.ofSeconds(1)));
        server.startReconciling();
        new Home(data.toAbsolutePath()).writeUp(new Home.UpInfo(server.url().toString(), ProcessHandle.current().pid()),
                "server.json");
        System.out.println("Virga server listening on " + server.url() + " (data " + data.toAbsolutePath() + ")");
        var stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
