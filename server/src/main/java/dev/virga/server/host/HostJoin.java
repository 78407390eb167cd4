package dev.virga.server.host;

import dev.virga.api.JoinRequest;
import dev.virga.api.JoinToken;
import dev.virga.api.Membership;
import dev.virga.server.http.ApiError;
import dev.virga.server.instance.Names;
import org.jdbi.v3.core.Jdbi;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Hosts joining the control plane: a one-use, expiring join token lets a new agent in and buys it a host secret
 * (only hashes are stored), with which it comes back after a restart at a new address.
 */
public final class HostJoin {
    static final Duration MAX_TTL = Duration.ofDays(7);
    private final Jdbi jdbi;
    private final Hosts hosts;
    private final SecureRandom random = new SecureRandom();

    public HostJoin(Jdbi jdbi, Hosts hosts) {
        this.jdbi = jdbi;
        this.hosts = hosts;
    }

    public JoinToken issue(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new ApiError.BadInput("ttl", ttl.toSeconds() + " s is not between 1 s and " + MAX_TTL.toDays()
                    + " days");
        }
        var token = secret();
        var now = System.currentTimeMillis();
        var expires = now + ttl.toMillis();
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO join_tokens (token_hash, created_at, expires_at) "
                + "VALUES (:h, :now, :exp)").bind("h", sha256(token)).bind("now", now).bind("exp", expires).execute());
        return new JoinToken(token, Instant.ofEpochMilli(expires));
    }

    /** A new host: spends the token (atomically, so two agents cannot both use it) and attaches the host. */
    public Membership join(JoinRequest r, String serverUrl) {
        var name = Names.check("name", r.name());
        var url = url(r.url());
        if (hosts.find(name).isPresent()) {
            throw new ApiError.Conflict("host '" + name + "' already exists");
        }
        int spent = jdbi.withHandle(h -> h.createUpdate("UPDATE join_tokens SET used_by = :name WHERE token_hash = :h "
                        + "AND used_by = '' AND expires_at > :now")
                .bind("name", name).bind("h", sha256(r.token() == null ? "" : r.token()))
                .bind("now", System.currentTimeMillis()).execute());
        if (spent != 1) {
            throw new ApiError.Forbidden("token: the join token is unknown, already used or expired; "
                    + "ask for a new one with `virga host add-token`");
        }
        var secret = secret();
        hosts.attach(name, url, r.agentToken());
        jdbi.useHandle(h -> h.createUpdate("UPDATE hosts SET secret_hash = :s WHERE name = :n")
                .bind("s", sha256(secret)).bind("n", name).execute());
        return new Membership(serverUrl, name, secret);
    }

    /** A known host after a restart: its secret proves it; its address and agent token may have changed. */
    public void rejoin(String name, JoinRequest r) {
        var expected = jdbi.withHandle(h -> h.createQuery("SELECT secret_hash FROM hosts WHERE name = :n")
                .bind("n", name).mapTo(String.class).findOne()).orElseThrow(() -> new ApiError.NotFound("host", name));
        var given = sha256(r.secret() == null ? "" : r.secret());
        if (expected.isEmpty() || !MessageDigest.isEqual(expected.getBytes(), given.getBytes())) {
            throw new ApiError.Forbidden("secret: this is not the secret host '" + name + "' joined with");
        }
        hosts.attach(name, url(r.url()), r.agentToken());
    }

    private static URI url(String text) {
        try {
            var u = URI.create(text == null ? "" : text);
            if (!"http".equals(u.getScheme()) || u.getHost() == null || u.getPort() <= 0) {
                throw new ApiError.BadInput("url", "'" + text + "' is not http://HOST:PORT");
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new ApiError.BadInput("url", "'" + text + "' is not a URL");
        }
    }

    private String secret() {
        var b = new byte[24];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
