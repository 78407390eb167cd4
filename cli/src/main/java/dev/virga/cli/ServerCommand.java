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
                + "`virga host add-token`). Writes its address to DIR/server.json.",
                "",
                "State is SQLite in DIR/db unless --db names PostgreSQL. Several servers may share one PostgreSQL "
                        + "database: exactly one leads (it holds a PostgreSQL advisory lock) and runs operations and "
                        + "the reconcile loop; the others serve reads and answer writes with 503 naming the leader, "
                        + "and one of them takes over within about a second when the leader dies. Give clients and "
                        + "agents every server: --url URL1,URL2 / virga agent --server URL1,URL2."})
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "state directory (SQLite in DIR/db, upload spool)")
    Path data;
    @Option(names = "--db", paramLabel = "JDBC_URL", defaultValue = "${env:VIRGA_DB}", description = "state store: "
            + "jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD (pooled; the database must exist, "
            + "the schema is made), or jdbc:sqlite:FILE (default: $VIRGA_DB, which keeps the password out of the "
            + "process list, else SQLite in DIR/db/virga.sqlite)")
    String db;
    @Option(names = "--listen", defaultValue = "127.0.0.1", description = "address to listen on") String listen;
    @Option(names = "--port", defaultValue = "" + Home.DEFAULT_PORT, description = "API port (0: any free port)")
    int port;
    @Option(names = "--advertise", paramLabel = "URL", description = "the URL clients and agents reach this server "
            + "at, which standbys name while it leads (default: http://LISTEN:PORT)")
    String advertise;

    @Override
    public Integer call() throws Exception {
        if (db != null && db.isBlank()) {
            throw new CliError("--db: empty; give jdbc:postgresql://HOST:PORT/DATABASE?user=USER&password=PASSWORD, "
                    + "or leave --db out for SQLite in DIR/db");
        }
        if (advertise != null && Home.servers("--advertise", advertise).size() != 1) {
            throw new CliError("--advertise: '" + advertise + "' is more than one URL");
        }
        VirgaServer server;
        try {
            server = VirgaServer.start(new ServerConfig(data.toAbsolutePath(), db == null ? "" : db.strip(), listen,
                    port, Duration.ofSeconds(1), advertise == null ? "" : advertise.strip()));
        } catch (IllegalArgumentException e) {
            throw new CliError(e.getMessage());
        }
        server.startReconciling();
        new Home(data.toAbsolutePath()).writeUp(new Home.UpInfo(server.url().toString(), ProcessHandle.current().pid()),
                "server.json");
        System.out.println("Virga server listening on " + server.url() + " (data " + data.toAbsolutePath() + "; "
                + (server.leading() ? "leading" : "standing by") + ")");
        var stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
