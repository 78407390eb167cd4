package dev.virga.cli;

import dev.virga.api.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code virga image ...}. */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Manage images.",
        subcommands = {ImageCommands.ListImages.class, ImageCommands.Build.class, ImageCommands.Import.class,
                ImageCommands.Delete.class})
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
            description = "Import a qcow2 or raw disk image (self-contained: no backing file).")
    static final class Import implements Callable<Integer> {
        @Mixin ApiOptions api;
        @Parameters(index = "0", description = "the image file") Path file;
        @Option(names = "--name", required = true, description = "name to launch it by") String name;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) {
                throw new CliError("file: " + file + " is not a readable file");
            }
            var image = api.client().importImage(file, name);
            System.out.println("image " + image.name() + " imported: " + image.fingerprint() + " ("
                    + Sizes.format(image.virtualSize()) + ")");
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
}
