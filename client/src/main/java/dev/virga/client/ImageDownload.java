package dev.virga.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * An image archive being downloaded, with the SHA-256 its sender computed before sending it. Close it when done;
 * closing it before the end aborts the transfer.
 *
 * @param size the archive's length in bytes, or -1 when the sender did not say
 */
public record ImageDownload(String sha256, long size, InputStream content) implements AutoCloseable {
    /** The response header that carries an export's SHA-256. */
    public static final String SHA256_HEADER = "X-Virga-Sha256";

    static ImageDownload of(HttpResponse<InputStream> response) {
        var sha = response.headers().firstValue(SHA256_HEADER);
        if (sha.isEmpty()) {
            try {
                response.body().close();
            } catch (IOException e) {
                // aborting anyway
            }
            throw new ApiException(0, "the answer of " + response.uri() + " has no " + SHA256_HEADER + " header",
                    Map.of());
        }
        long size = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        return new ImageDownload(sha.get(), size, response.body());
    }

    @Override
    public void close() {
        try {
            content.close();
        } catch (IOException e) {
            // the transfer is over either way
        }
    }
}
