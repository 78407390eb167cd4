package dev.virga.server.image;

import dev.virga.api.Image;
import dev.virga.api.Operation;
import dev.virga.api.agent.HostImage;
import dev.virga.client.ImageDownload;
import dev.virga.server.event.EventBus;
import dev.virga.server.host.Hosts;
import dev.virga.server.http.ApiError;
import dev.virga.server.instance.Names;
import dev.virga.server.operation.Operations;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Images by name; the bytes live on a host, named by fingerprint. */
public final class ImageCatalog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ImageCatalog.class);
    private static final String SELECT = "SELECT i.*, (SELECT COUNT(*) FROM instances n "
            + "WHERE n.image_fingerprint = i.fingerprint) AS used_by FROM images i";
    private static final Set<String> RECIPES = Set.of("tiny");
    private final Jdbi jdbi;
    private final Hosts hosts;
    private final Operations operations;
    private final EventBus events;
    private final Path spool;

    /** An image and the host that holds its bytes. */
    /** Every image boots an x86_64 guest (the only architecture QEMU runs here so far). */
    public static final String ARCH = "x86_64";

    public record Located(Image image, String host) {
    }

    private final dev.virga.server.scheduler.Placement placement;

    public ImageCatalog(Jdbi jdbi, Hosts hosts, dev.virga.server.scheduler.Placement placement,
                        Operations operations, EventBus events, Path spool) {
        this.placement = placement;
        this.jdbi = jdbi;
        this.hosts = hosts;
        this.operations = operations;
        this.events = events;
        this.spool = spool;
        this.warm = new WarmImages(jdbi, this, hosts, operations, events);
        cleanSpool(spool);
    }

    /**
     * Removes what uploads cut off by the server's death left in the spool (the hostile review of issue 14 found a
     * 95 MB file after a kill -9 and a restart); an upload under way belongs to a server that runs, so only this
     * server's own start calls it.
     */
    static void cleanSpool(Path spool) {
        if (!Files.isDirectory(spool)) {
            return;
        }
        try (var leftovers = Files.newDirectoryStream(spool, "upload-*.img")) {
            for (var file : leftovers) {
                Files.deleteIfExists(file);
                LOG.info("removed {}, left in the upload spool by an upload that did not finish", file);
            }
        } catch (IOException e) {
            LOG.warn("cannot clean the upload spool {}: {}", spool, e.getMessage());
        }
    }

    private final WarmImages warm;

    /** The images' warm states on their hosts. */
    public WarmImages warm() {
        return warm;
    }

    /** Where images are held, and where instances of them may go. */
    public dev.virga.server.scheduler.Placement placement() {
        return placement;
    }

    public List<Image> list() {
        return jdbi.withHandle(h -> h.createQuery(SELECT + " ORDER BY name").map(MAPPER).list());
    }

    public Located get(String name) {
        return find(name).orElseThrow(() -> new ApiError.NotFound("image", name));
    }

    public Optional<Located> find(String name) {
        return jdbi.withHandle(h -> h.createQuery(SELECT + " WHERE name = :n").bind("n", name)
                .map((rs, ctx) -> new Located(MAPPER.map(rs, ctx), rs.getString("host"))).findOne());
    }

    /** Builds a built-in recipe on the (first) host; the result replaces the image of that name. */
    public Operation build(String recipe) {
        if (recipe == null || !RECIPES.contains(recipe)) {
            throw new ApiError.BadInput("recipe", "'" + recipe + "' is not a known recipe (known: " + RECIPES + ")");
        }
        var targets = hosts.list().stream().filter(h -> Hosts.ONLINE.equals(h.state())).map(h -> h.name()).sorted()
                .toList();
        if (targets.isEmpty()) {
            throw new ApiError.Unavailable("no online host to build the image on");
        }
        return operations.start("image-build", "image/" + recipe, progress -> {
            // every host builds it: the same Debian packages give the same fingerprint, so any host can run it
            HostImage first = null;
            var built = new java.util.ArrayList<String>();
            for (var host : targets) {
                progress.update("building " + recipe + " on " + host);
                var image = hosts.client(host).buildImage(recipe);
                if (first == null) {
                    first = image;
                    save(recipe, image, host, "built:" + recipe);
                }
                if (image.fingerprint().equals(first.fingerprint())) {
                    placement.holds(image.fingerprint(), host);
                    built.add(host);
                } else {
                    events.publish("image-differs", recipe, "host " + host + " built " + recipe + " as "
                            + image.fingerprint().substring(0, 12) + ", not " + first.fingerprint().substring(0, 12)
                            + " (other package versions); it will not run instances of it");
                }
            }
            events.publish("image-built", recipe, "image " + recipe + " is " + first.fingerprint().substring(0, 12)
                    + " on " + String.join(", ", built));
            // launches of the defaults' shape resume instead of booting (a failure here leaves the image cold)
            var warmed = warm.warmBuilt(recipe, first.fingerprint(), built, progress::update);
            return Map.of("fingerprint", first.fingerprint(), "hosts", built, "warm", warmed);
        });
    }

    /**
     * Takes an uploaded disk image or image archive; the host checks that it is a self-contained qcow2, a raw disk,
     * or a Virga image archive. Synchronous: the upload is the slow part, and a refusal must reach the uploader as a
     * 400 that says why.
     */
    public Image importImage(String name, InputStream body) {
        return importImage(name, Optional.empty(), body);
    }

    /**
     * As {@link #importImage(String, InputStream)}; the upload is refused (400 {@code sha256: ...}, nothing stored)
     * unless its SHA-256 is {@code sha256}.
     */
    public Image importImage(String name, InputStream body, String sha256) {
        return importImage(name, Optional.of(checkSha256(sha256)), body);
    }

    private Image importImage(String name, Optional<String> expected, InputStream body) {
        Names.check("name", name);
        if (find(name).isPresent()) {
            throw new ApiError.Conflict("image '" + name + "' already exists");
        }
        var host = hosts.names().stream().sorted().findFirst()
                .orElseThrow(() -> new ApiError.Unavailable("no host to store the image on"));
        Path file = spoolUpload(body);
        try (var in = Files.newInputStream(file)) {
            var agent = hosts.client(host);
            var stored = expected.isPresent() ? agent.importImage(name, in, expected.get())
                    : agent.importImage(name, in);
            save(name, stored, host, "imported");
            events.publish("image-imported", name, "image " + name + " imported as " + stored.fingerprint());
            return get(name).image();
        } catch (IOException e) {
            throw new ApiError.BadInput("file", "upload unreadable: " + e.getMessage());
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // cleanSpool removes it at the next start
            }
        }
    }

    private static String checkSha256(String text) {
        var hex = text.strip().toLowerCase(java.util.Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new ApiError.BadInput("sha256", "'" + text + "' is not a SHA-256 (64 hex digits)");
        }
        return hex;
    }

    /**
     * Starts an export of the image as an image archive from the host that holds it; the host writes and hashes the
     * archive first, so the SHA-256 is known before the first byte. The caller streams it on and closes it.
     */
    public ImageDownload export(String name) {
        var located = get(name);
        return hosts.client(located.host()).exportImage(located.image().fingerprint(), name);
    }

    /** Copies in progress, by fingerprint and host: two launches needing the same copy make it once. */
    private final java.util.concurrent.ConcurrentHashMap<String, Object> copying =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Makes sure {@code host} holds the image {@code fingerprint}: if it does not, the image archive is streamed
     * from an online host that does (checked against its SHA-256 on arrival) and recorded. Placement may choose a
     * host without the image (scored lower) as long as one online host has it; this is the copy that choice costs,
     * made once per host and fingerprint.
     *
     * @param progress told (e.g. the operation's progress) when a copy actually starts
     * @return the bytes copied (0 when the host already held it)
     */
    public long ensureOn(String fingerprint, String host, java.util.function.Consumer<String> progress) {
        var lock = copying.computeIfAbsent(fingerprint + "@" + host, k -> new Object());
        synchronized (lock) {
            var holders = jdbi.withHandle(h -> h.createQuery("SELECT ih.host FROM image_hosts ih JOIN hosts ho "
                            + "ON ho.name = ih.host WHERE ih.fingerprint = :f AND ho.state = :online ORDER BY ih.host")
                    .bind("f", fingerprint).bind("online", Hosts.ONLINE).mapTo(String.class).list());
            if (holders.contains(host)) {
                return 0;
            }
            if (hosts.client(host).images().stream().anyMatch(i -> i.fingerprint().equals(fingerprint))) {
                placement.holds(fingerprint, host); // a copy of the same bytes is already there: reused
                return 0;
            }
            if (holders.isEmpty()) {
                throw new ApiError.Conflict("no online host holds image " + fingerprint.substring(0, 12)
                        + " to copy it to " + host);
            }
            var name = jdbi.withHandle(h -> h.createQuery("SELECT name FROM images WHERE fingerprint = :f ORDER BY "
                    + "name").bind("f", fingerprint).mapTo(String.class).findFirst()).orElse(fingerprint);
            var from = holders.getFirst();
            progress.accept("copying image " + name + " to " + host);
            long started = System.nanoTime();
            try (var download = hosts.client(from).exportImage(fingerprint, name)) {
                var copied = hosts.client(host).replicateImage(name, download.content(), download.sha256());
                if (!copied.fingerprint().equals(fingerprint)) {
                    throw new IllegalStateException("image " + name + " arrived on " + host + " as "
                            + copied.fingerprint() + ", not " + fingerprint);
                }
                placement.holds(fingerprint, host);
                events.publish("image-copied", name, "image " + name + " (" + fingerprint.substring(0, 12)
                        + ") copied from " + from + " to " + host + " in " + (System.nanoTime() - started) / 1_000_000
                        + " ms", Map.of("from", from, "to", host));
                return download.size();
            }
        }
    }

    private Path spoolUpload(InputStream body) {
        try {
            Files.createDirectories(spool);
            var file = Files.createTempFile(spool, "upload-", ".img");
            try (body) {
                Files.copy(body, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                Files.deleteIfExists(file);
                throw e;
            }
            if (Files.size(file) == 0) {
                Files.delete(file);
                throw new ApiError.BadInput("file", "the upload is empty");
            }
            return file;
        } catch (IOException e) {
            throw new ApiError.BadInput("file", "upload failed: " + e.getMessage());
        }
    }

    /** Removes an image nobody's disk needs; 409 naming the instances that still do. */
    public void delete(String name) {
        var located = get(name);
        var users = usersOf(located.image().fingerprint());
        if (!users.isEmpty()) {
            throw new ApiError.Conflict("image '" + name + "' is used by " + String.join(", ", users),
                    Map.of("instances", users));
        }
        boolean shared = jdbi.withHandle(h -> h.createQuery(
                        "SELECT COUNT(*) FROM images WHERE fingerprint = :f AND name <> :n")
                .bind("f", located.image().fingerprint()).bind("n", name).mapTo(Integer.class).one()) > 0;
        if (!shared) {
            // every host that holds it (built there, or copied there for a launch or a move)
            var fingerprint = located.image().fingerprint();
            var holders = jdbi.withHandle(h -> h.createQuery("SELECT host FROM image_hosts WHERE fingerprint = :f")
                    .bind("f", fingerprint).mapTo(String.class).list());
            var all = new java.util.TreeSet<>(holders);
            all.add(located.host());
            for (var host : all) {
                try {
                    hosts.client(host).deleteImage(fingerprint);
                    jdbi.useHandle(h -> h.createUpdate("DELETE FROM image_hosts WHERE fingerprint = :f AND host = :h")
                            .bind("f", fingerprint).bind("h", host).execute());
                } catch (RuntimeException e) {
                    LOG.warn("image {}: cannot delete it on {} ({}); its file stays there", name, host, e.getMessage());
                }
            }
        }
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM images WHERE name = :n").bind("n", name).execute());
        events.publish("image-deleted", name, "image " + name + " deleted");
    }

    private List<String> usersOf(String fingerprint) {
        return jdbi.withHandle(h -> h.createQuery(
                        "SELECT name FROM instances WHERE image_fingerprint = :f ORDER BY name")
                .bind("f", fingerprint).mapTo(String.class).list());
    }

    /** Records an image a host made from a VM (publish); {@code source} says which VM and snapshot. */
    public Image registerPublished(String alias, HostImage image, String host, String source) {
        save(alias, image, host, source);
        events.publish("image-published", alias, "image " + alias + " " + source);
        return get(alias).image();
    }

    private void save(String name, HostImage image, String host, String source) {
        placement.holds(image.fingerprint(), host);
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM images WHERE name = :n").bind("n", name).execute();
            h.createUpdate("INSERT INTO images (name, fingerprint, format, virtual_size, file_size, os, source, "
                            + "boots_kernel, host, created_at) VALUES (:name, :fp, :format, :vsize, :fsize, :os, "
                            + ":source, :kernel, :host, :now)")
                    .bind("name", name).bind("fp", image.fingerprint()).bind("format", image.format())
                    .bind("vsize", image.virtualSize()).bind("fsize", image.fileSize()).bind("os", image.os())
                    .bind("source", source).bind("kernel", image.bootsKernel()).bind("host", host)
                    .bind("now", System.currentTimeMillis()).execute();
        });
    }

    private static final RowMapper<Image> MAPPER = (rs, ctx) -> new Image(rs.getString("name"),
            rs.getString("fingerprint"), rs.getString("format"), rs.getLong("virtual_size"), rs.getLong("file_size"),
            rs.getString("os"), rs.getString("source"), rs.getBoolean("boots_kernel"),
            rs.getInt("used_by"),
            Instant.ofEpochMilli(rs.getLong("created_at")));
}
