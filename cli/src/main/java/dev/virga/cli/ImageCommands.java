package dev.virga.cli;

import dev.virga.api.Sizes;
import dev.virga.client.VirgaClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.Callable;

/** {@code virga image ...}. */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Manage images.",
        subcommands = {ImageCommands.ListImages.class, ImageCommands.Build.class, ImageCommands.Import.class,
                ImageCommands.Export.class, ImageCommands.Delete.class, ImageCommands.Info.class,
                ImageCommands.Warm.class, ImageCommands.Unwarm.class})
final class ImageCommands {

    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true, description = "List images.")
    static final class ListImages implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Option(names = "--format", description = "table or json", defaultValue = "table") String format;

        @Override
        public Integer call() {
            var images = api.client().images();
            if (format.equals("json")) {
                Output.json(images);
                return 0;
            }
            var t = new Table("NAME", "FINGERPRINT", "FORMAT", "SIZE", "ON DISK", "OS", "SOURCE", "USED BY");
            for (var i : images) {
                t.row(i.name(), i.fingerprint().substring(0, 12), i.format(), Sizes.format(i.virtualSize()),
                        Sizes.format(i.fileSize()), i.os(), i.source(), i.usedBy());
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Build a built-in image from Debian packages (today: tiny). Cached by fingerprint.")
    static final class Build implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", defaultValue = "tiny", description = "recipe (default tiny)") String recipe;

        @Override
        public Integer call() {
            var client = api.client();
            var done = ApiOptions.await(client, client.buildImage(recipe), "image build " + recipe);
            System.out.println("image " + recipe + " ready: " + done.result().get("fingerprint"));
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = {"Import a disk image: a qcow2 or raw disk (self-contained: no backing file), or an image "
                    + "archive written by `virga image export` (disk, kernel, initrd and how to boot them).",
                    "Prints the SHA-256 of the file; the server checks that it received exactly those bytes."})
    static final class Import implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", paramLabel = "FILE", description = "the image file") Path file;
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "name to launch it by")
        String name;
        @Option(names = "--sha256", paramLabel = "HEX",
                description = "refuse the file unless this is its SHA-256 (as `virga image export` printed it)")
        String sha256;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) {
                throw new CliError("file: " + file + " is not a readable file");
            }
            var sha = sha256Of(file);
            if (sha256 != null && !sha256.strip().equalsIgnoreCase(sha)) {
                throw new CliError("sha256: " + file + " has SHA-256 " + sha + ", not the expected "
                        + sha256.strip() + "; nothing was uploaded");
            }
            // always sent: the server then refuses a file damaged on the way
            var image = api.client().importImage(file, name, sha);
            System.out.println("image " + image.name() + " imported: " + image.fingerprint() + " ("
                    + Sizes.format(image.virtualSize()) + "), sha256 " + sha);
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Export an image as an image archive: an uncompressed tar of metadata.json, disk.qcow2 "
                    + "(self-contained) and, for an image that boots a kernel, vmlinux and initrd.cpio.",
                    "The same image always gives the same bytes. The file is written as FILE.partial and renamed "
                    + "once its SHA-256 matches the server's; the SHA-256 is printed for `image import --sha256`."})
    static final class Export implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", paramLabel = "NAME", description = "the image to export") String name;
        @Parameters(index = "1", paramLabel = "FILE", description = "the archive file to write (for example tiny.tar)")
        Path file;
        @Option(names = "--force", description = "overwrite FILE if it exists") boolean force;

        @Override
        public Integer call() {
            if (Files.isDirectory(file)) {
                throw new CliError("file: " + file + " is a directory");
            }
            if (Files.exists(file) && !force) {
                throw new CliError("file: " + file + " exists; use --force to overwrite it");
            }
            var written = download(api.client(), name, file, force);
            System.out.println("exported " + name + " to " + file + " (" + Sizes.format(written.size())
                    + "), sha256 " + written.sha256());
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Show one image and its warm states on each host that holds it.")
    static final class Info implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Option(names = "--format", description = "table or json", defaultValue = "table") String format;

        @Override
        public Integer call() {
            var client = api.client();
            var image = client.image(name);
            var warm = client.warmStates(name);
            if (format.equals("json")) {
                Output.json(java.util.Map.of("image", image, "warm", warm));
                return 0;
            }
            if (!format.equals("table")) {
                throw new CliError("--format: '" + format + "' is not table or json");
            }
            System.out.println("Name:        " + image.name());
            System.out.println("Fingerprint: " + image.fingerprint());
            System.out.println("Size:        " + Sizes.format(image.virtualSize()) + " (" + Sizes.format(image.fileSize())
                    + " on disk, " + image.format() + ")");
            System.out.println("OS:          " + image.os());
            System.out.println("Source:      " + image.source());
            System.out.println("Used by:     " + image.usedBy());
            if (warm.isEmpty()) {
                System.out.println("Warm:        no (every launch boots; virga image warm " + name + ")");
                return 0;
            }
            System.out.println("Warm:");
            var t = new Table("HOST", "CPUS", "MEMORY", "ACCEL", "STATE", "BOOTED IN", "MADE");
            for (var w : warm) {
                t.row(w.host(), w.cpus(), Sizes.format(w.memoryBytes()), w.accelerator(), Sizes.format(w.stateBytes()),
                        Output.seconds(w.bootMillis()), w.createdAt().toString());
            }
            t.print(System.out);
            return 0;
        }
    }

    @Command(name = "warm", mixinStandardHelpOptions = true,
            description = {"Boot the image once on every host that holds it, wait until its guest is idle and ready, "
                    + "and save its memory and devices: launches of exactly these vCPUs and memory then resume it "
                    + "(and take their own hostname, MACs, machine-id, random seed, clock and DHCP leases) instead of "
                    + "booting (tenant NICs are plugged in after the resume). Launches of another shape, and launches "
                    + "with --cold, boot.",
                    "`virga image build tiny` warms tiny for the launch defaults (1 vCPU, 256 MiB) by itself. "
                    + "Warming again replaces the state of that shape."})
    static final class Warm implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", paramLabel = "NAME", description = "the image") String name;
        @Option(names = "--cpus", description = "vCPUs of the VMs that will resume it (default 1)") Integer cpus;
        @Option(names = "--memory", description = "their memory, e.g. 256M, 1G (default 256M)") String memory;

        @Override
        public Integer call() {
            var client = api.client();
            var done = ApiOptions.await(client, client.warmImage(name, new dev.virga.api.WarmRequest(cpus, memory)),
                    "image warm " + name);
            System.out.println("image " + name + " is warm for " + done.result().get("cpus") + " vCPU, "
                    + Sizes.format(((Number) done.result().get("memoryBytes")).longValue()) + ": "
                    + done.result().get("hosts"));
            return 0;
        }
    }

    @Command(name = "unwarm", mixinStandardHelpOptions = true,
            description = "Remove the image's warm state of a shape (with neither --cpus nor --memory: every shape); "
                    + "launches of it boot from then on.")
    static final class Unwarm implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", paramLabel = "NAME", description = "the image") String name;
        @Option(names = "--cpus", description = "vCPUs of the shape (default 1 when --memory is given)") Integer cpus;
        @Option(names = "--memory", description = "memory of the shape (default 256M when --cpus is given)")
        String memory;

        @Override
        public Integer call() {
            api.client().unwarmImage(name, cpus, memory);
            System.out.println("image " + name + ": " + (cpus == null && memory == null ? "no warm state any more"
                    : "warm state removed"));
            return 0;
        }
    }

    @Command(name = "delete", aliases = "rm", mixinStandardHelpOptions = true,
            description = "Delete an image (refused while a VM's disk needs it).")
    static final class Delete implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0") String name;

        @Override
        public Integer call() {
            api.client().deleteImage(name);
            System.out.println("image " + name + " deleted");
            return 0;
        }
    }

    /** What an export wrote. */
    record Written(long size, String sha256) {
    }

    /**
     * Downloads the archive into FILE.partial, hashes what landed on disk, and renames it to FILE only if that is
     * the SHA-256 the server announced: a file named FILE is always a whole, checked archive.
     */
    static Written download(VirgaClient client, String name, Path file, boolean force) {
        var partial = file.resolveSibling(file.getFileName() + ".partial");
        // Ctrl-C half-way must not leave a big file behind that looks like an archive
        var cleanup = new Thread(() -> deleteQuietly(partial));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try (var download = client.exportImage(name)) {
            try (var out = Files.newOutputStream(partial)) {
                download.content().transferTo(out);
            } catch (IOException e) {
                throw new CliError("export of " + name + " broke off: " + e.getMessage());
            }
            var sha = sha256Of(partial);
            if (!sha.equals(download.sha256())) {
                throw new CliError("sha256: the server sent an archive with SHA-256 " + download.sha256() + " but "
                        + partial + " has " + sha + "; the download was damaged, try again");
            }
            var size = Files.size(partial);
            if (force) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                // no ATOMIC_MOVE: it would replace a FILE that appeared meanwhile
                Files.move(partial, file);
            }
            return new Written(size, sha);
        } catch (FileAlreadyExistsException e) {
            throw new CliError("file: " + file + " exists; use --force to overwrite it");
        } catch (IOException e) {
            throw new CliError("cannot write " + file + ": " + e.getMessage());
        } finally {
            deleteQuietly(partial);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs, harmlessly
            }
        }
    }

    static String sha256Of(Path file) {
        try (var in = Files.newInputStream(file)) {
            var digest = MessageDigest.getInstance("SHA-256");
            var buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new CliError("cannot read " + file + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // best effort: its name says it is incomplete
        }
    }
}
