package dev.virga.qemu.img;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Runs {@code qemu-img} (Debian package qemu-utils). Thread-safe; each call is one short process. */
public final class QemuImg {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    // Metadata operations take milliseconds; a minute means something is stuck (e.g. a hung NFS).
    private static final Duration QUICK = Duration.ofMinutes(1);
    // Copying a whole disk is bounded only by its size and the host's disks.
    private static final Duration COPY = Duration.ofHours(2);
    /** qemu-img check's exit code for "this format cannot be checked" (e.g. raw). */
    private static final int CHECK_UNSUPPORTED = 63;

    private final Path binary;

    /** Uses the {@code qemu-img} found on PATH. */
    public QemuImg() {
        this(findOnPath("qemu-img"));
    }

    public QemuImg(Path binary) {
        if (!Files.isExecutable(binary)) {
            throw new QemuImgException(binary + " is not an executable qemu-img (install the package qemu-utils)");
        }
        this.binary = binary;
    }

    public Path binary() {
        return binary;
    }

    /**
     * {@code qemu-img info}.
     *
     * @param forceShare read an image that a running QEMU holds locked ({@code -U}); the answer may be
     *                   slightly stale, which is fine for sizes and backing chains
     */
    public ImageInfo info(Path file, boolean forceShare) {
        List<String> args = new ArrayList<>(List.of("info", "--output=json"));
        if (forceShare) {
            args.add("-U");
        }
        args.add(file.toString());
        JsonNode json = json(run(args, QUICK), "info of " + file);
        String backing = json.has("full-backing-filename") ? json.get("full-backing-filename").asText()
                : json.path("backing-filename").asText("");
        String backingFormat = json.path("backing-filename-format").asText("");
        JsonNode specific = json.path("format-specific").path("data");
        return new ImageInfo(json.path("format").asText(""), json.path("virtual-size").asLong(),
                json.path("actual-size").asLong(), nonEmpty(backing), nonEmpty(backingFormat),
                json.path("dirty-flag").asBoolean(false), specific.path("corrupt").asBoolean(false),
                nonEmpty(specific.path("data-file").asText("")));
    }

    /**
     * Makes {@code overlay} a new qcow2 whose backing file is {@code base} (a linked clone). The
     * base is recorded by absolute path, because a relative one would resolve against the
     * overlay's directory. Refuses to overwrite an existing file: qemu-img would silently replace it.
     *
     * @param size the overlay's virtual size; empty for the base's size
     */
    public void createOverlay(Path base, String baseFormat, Path overlay, OptionalLong size) {
        if (Files.exists(overlay)) {
            throw new QemuImgException("refusing to create overlay " + overlay + ": the file already exists");
        }
        if (!Files.isRegularFile(base)) {
            throw new QemuImgException("cannot create overlay " + overlay + ": base image " + base + " does not exist");
        }
        String backing = base.toAbsolutePath().normalize().toString();
        List<String> args = new ArrayList<>(List.of("create", "-f", "qcow2", "-b", backing, "-F", baseFormat,
                overlay.toString()));
        size.ifPresent(bytes -> args.add(String.valueOf(bytes)));
        check(run(args, QUICK), "create overlay " + overlay + " on " + base);
    }

    /** Makes a new empty image of {@code size} bytes (no backing file); refuses to overwrite a file. */
    public void create(Path file, String format, long size) {
        if (Files.exists(file)) {
            throw new QemuImgException("refusing to create " + file + ": the file already exists");
        }
        check(run(List.of("create", "-f", format, file.toString(), String.valueOf(size)), QUICK),
                "create " + file);
    }

    /**
     * One extent of {@code qemu-img map --output=json}.
     *
     * @param present the image itself (not a backing file) defines these bytes
     * @param data    the bytes are stored at {@code offset} of the image's file; otherwise they read as zeros
     * @param offset  host file offset of the data, -1 when none
     */
    public record Extent(long start, long length, boolean present, boolean zero, boolean data, long offset) {
    }

    /** {@code qemu-img map --output=json} of one image (with {@code -U}: a running QEMU may hold it). */
    public List<Extent> map(Path file, String format) {
        JsonNode json = json(run(List.of("map", "--output=json", "-U", "-f", format, file.toString()), COPY),
                "map of " + file);
        List<Extent> out = new ArrayList<>();
        for (JsonNode e : json) {
            out.add(new Extent(e.path("start").asLong(), e.path("length").asLong(),
                    e.path("present").asBoolean(e.path("depth").asInt() == 0 && e.path("data").asBoolean()),
                    e.path("zero").asBoolean(), e.path("data").asBoolean(), e.path("offset").asLong(-1)));
        }
        return out;
    }

    /** Copies {@code src} into a new image {@code dst}, converting the format (the result has no backing file). */
    public void convert(Path src, String srcFormat, Path dst, String dstFormat) {
        check(run(List.of("convert", "-f", srcFormat, "-O", dstFormat, src.toString(), dst.toString()), COPY),
                "convert " + src + " (" + srcFormat + ") to " + dst + " (" + dstFormat + ")");
    }

    /**
     * Safe rebase: makes {@code file} read through {@code newBacking} instead of its current backing file, first
     * copying into it every cluster where the two differ, so the guest sees exactly the same data. This is how a
     * layer is merged away offline. Interrupted half-way, the file still points at its old backing and is whole.
     */
    public void rebase(Path file, Path newBacking, String backingFormat) {
        check(run(List.of("rebase", "-f", "qcow2", "-b", newBacking.toAbsolutePath().normalize().toString(),
                        "-F", backingFormat, file.toString()), COPY),
                "rebase " + file + " onto " + newBacking);
    }

    /**
     * Unsafe rebase: only rewrites the name of {@code file}'s backing file (the data is not compared, the new
     * backing need not exist yet). For a chain whose files moved together to another directory or host.
     */
    public void repoint(Path file, Path newBacking, String backingFormat) {
        check(run(List.of("rebase", "-u", "-f", "qcow2", "-b", newBacking.toAbsolutePath().normalize().toString(),
                        "-F", backingFormat, file.toString()), QUICK),
                "repoint " + file + " at " + newBacking);
    }

    /** Sets the virtual size; shrinking is refused by qemu-img (it would cut off guest data). */
    public void resize(Path file, long newSize) {
        if (newSize <= 0) {
            throw new IllegalArgumentException("new size of " + file + " must be positive: " + newSize);
        }
        check(run(List.of("resize", file.toString(), String.valueOf(newSize)), QUICK),
                "resize " + file + " to " + newSize + " bytes");
    }

    /**
     * {@code qemu-img check}: a result for images it could check, even when it found problems.
     *
     * @throws QemuImgException when the image cannot be checked (unreadable, or a format such as raw)
     */
    public CheckResult check(Path file) {
        ProcessRun run = run(List.of("check", "--output=json", file.toString()), COPY);
        if (run.exitCode() == CHECK_UNSUPPORTED) {
            throw new QemuImgException("cannot check " + file + ": its format does not support checks ("
                    + run.stderr().strip() + ")");
        }
        // exit 2 = corruptions found, 3 = leaks found: both still a report on stdout
        if (run.exitCode() != 2 && run.exitCode() != 3) {
            check(run, "check " + file);
        }
        JsonNode json = parse(run, "check of " + file);
        return new CheckResult(json.path("format").asText(""), json.path("corruptions").asLong(0),
                json.path("leaks").asLong(0), json.path("check-errors").asLong(0));
    }

    private ProcessRun run(List<String> args, Duration timeout) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(args);
        try {
            return ProcessRun.run(command, timeout);
        } catch (UncheckedIOException | ProcessRun.ProcessTimeoutException e) {
            throw new QemuImgException(e.getMessage(), e);
        }
    }

    private static void check(ProcessRun run, String what) {
        if (!run.succeeded()) {
            throw new QemuImgException("qemu-img could not " + what + " (exit " + run.exitCode() + "): "
                    + message(run));
        }
    }

    private static JsonNode json(ProcessRun run, String what) {
        check(run, "read " + what);
        return parse(run, what);
    }

    private static JsonNode parse(ProcessRun run, String what) {
        try {
            return MAPPER.readTree(run.stdout());
        } catch (IOException e) {
            throw new QemuImgException("qemu-img gave no JSON for " + what + ": " + run.stdout().strip(), e);
        }
    }

    private static String message(ProcessRun run) {
        String text = run.stderr().strip();
        return text.isEmpty() ? run.stdout().strip() : text;
    }

    private static Optional<String> nonEmpty(String text) {
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }

    private static Path findOnPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new QemuImgException(program + " is not on PATH (" + path + "); install the Debian package qemu-utils");
    }
}
