package dev.virga.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The serial console: interactive through a websocket, or the log of everything the guest printed. */
@Command(name = "console", mixinStandardHelpOptions = true,
        description = {"Attach to a VM's serial console (a root shell on the tiny image).",
                "Detach with Ctrl-] (the VM keeps running). With --log, print what the console showed so far."})
final class ConsoleCommand implements Callable<Integer> {
    static final int DETACH = 0x1d;
    @Mixin ApiOptions api;
    @Parameters(index = "0", description = "VM name") String name;
    @Option(names = "--log", description = "print the console log and exit") boolean log;

    @Override
    public Integer call() throws Exception {
        var client = api.client();
        if (log) {
            System.out.write(client.consoleLog(name));
            System.out.flush();
            return 0;
        }
        var closed = new CompletableFuture<String>();
        var ws = client.console(name, new Printer(closed)).join();
        boolean tty = System.console() != null;
        if (tty) {
            stty("raw", "-echo");
        }
        System.err.print("Connected to the console of " + name + "; press Ctrl-] to detach.\r\n");
        try {
            pump(ws, closed);
        } finally {
            if (tty) {
                stty("sane");
            }
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "detached").exceptionally(e -> null);
        }
        var why = closed.getNow("detached");
        System.err.println();
        System.err.println("[" + why + "]");
        return 0;
    }

    private static void pump(WebSocket ws, CompletableFuture<String> closed) throws IOException {
        var buf = new byte[1024];
        while (!closed.isDone()) {
            if (System.in.available() == 0) {
                sleep();
                continue;
            }
            int n = System.in.read(buf);
            if (n < 0) {
                return;
            }
            for (int i = 0; i < n; i++) {
                if (buf[i] == DETACH) {
                    if (i > 0) {
                        ws.sendBinary(ByteBuffer.wrap(buf, 0, i), true).join();
                    }
                    return;
                }
            }
            ws.sendBinary(ByteBuffer.wrap(buf, 0, n), true).join();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stty(String... args) throws IOException, InterruptedException {
        var cmd = new java.util.ArrayList<String>();
        cmd.add("stty");
        cmd.addAll(java.util.List.of(args));
        new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/tty")))
                .inheritIO().start().waitFor();
    }

    /** Writes what the guest prints to stdout. */
    private record Printer(CompletableFuture<String> closed) implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            var bytes = new byte[data.remaining()];
            data.get(bytes);
            System.out.write(bytes, 0, bytes.length);
            System.out.flush();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete(reason == null || reason.isEmpty() ? "console closed" : reason);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete("console error: " + error.getMessage());
        }
    }
}
