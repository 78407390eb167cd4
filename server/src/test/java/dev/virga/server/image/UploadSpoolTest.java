package dev.virga.server.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An upload cut off by a kill -9 of the server leaves its spool file; the next start removes it, and only it. */
class UploadSpoolTest {
    @TempDir
    Path dir;

    @Test
    void aStartRemovesUploadsLeftBehindAndNothingElse() throws Exception {
        var spool = Files.createDirectories(dir.resolve("spool"));
        var leftover = Files.write(spool.resolve("upload-123456.img"), new byte[4096]);
        var other = Files.writeString(spool.resolve("notes.txt"), "mine");

        ImageCatalog.cleanSpool(spool);

        assertThat(leftover).doesNotExist();
        assertThat(other).hasContent("mine");
    }

    @Test
    void noSpoolYetIsFine() {
        ImageCatalog.cleanSpool(dir.resolve("missing"));
        assertThat(dir.resolve("missing")).doesNotExist();
    }
}
