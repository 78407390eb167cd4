package dev.virga.server.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The PostgreSQL the tests use: {@code $VIRGA_TEST_PG_URL} (what {@code ./virga test} exports: a role that may
 * create databases), else a private cluster this JVM starts with {@code scripts/test-postgres} and stops when it
 * exits. No PostgreSQL is a failure with the way to get one, never a skip.
 */
public final class TestPostgres {
    public static final String URL_VARIABLE = "VIRGA_TEST_PG_URL";
    private static String adminUrl;

    private TestPostgres() {
    }

    /** A new, empty database; its JDBC URL. Drop it with {@link #drop(String)}. */
    public static String createDatabase() {
        var name = "virga_test_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(6));
        execute("CREATE DATABASE " + name);
        return adminUrl().replaceFirst("(jdbc:postgresql://[^/]+/)[^?]*", "$1" + name);
    }

    /** Drops the database of {@code url}, closing whatever connections are left to it. */
    public static void drop(String url) {
        var name = url.replaceFirst("jdbc:postgresql://[^/]+/([^?]*).*", "$1");
        execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    private static void execute(String sql) {
        try (var c = DriverManager.getConnection(adminUrl()); var st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed on the tests' PostgreSQL: " + e.getMessage(), e);
        }
    }

    static synchronized String adminUrl() {
        if (adminUrl == null) {
            var given = System.getenv(URL_VARIABLE);
            adminUrl = given != null && !given.isBlank() ? given.strip() : startPrivateCluster();
        }
        return adminUrl;
    }

    private static String startPrivateCluster() {
        var script = Path.of(System.getProperty("virga.test.pg.script", "../scripts/test-postgres")).toAbsolutePath();
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException("the PostgreSQL run of the tests needs " + URL_VARIABLE + " or " + script
                    + " (run them with ./virga test)");
        }
        String out;
        int exit;
        try {
            var p = new ProcessBuilder(script.toString(), "start").redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(script + " start did not end in 120 s: " + out);
            }
            exit = p.exitValue();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting PostgreSQL", e);
        }
        if (exit != 0) {
            throw new IllegalStateException("no PostgreSQL for the tests (set " + URL_VARIABLE + ", or run ./virga "
                    + "test, which installs it): " + out.strip());
        }
        var dir = value(out, "VIRGA_TEST_PG_DIR");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(script, dir)));
        return value(out, URL_VARIABLE);
    }

    private static void stop(Path script, String dir) {
        try {
            new ProcessBuilder(script.toString(), "stop", dir).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            System.err.println("could not stop the tests' PostgreSQL in " + dir + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String value(String out, String key) {
        return out.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1)).findFirst()
                .orElseThrow(() -> new IllegalStateException("scripts/test-postgres said no " + key + ": " + out));
    }
}
