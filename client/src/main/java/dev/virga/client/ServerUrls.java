package dev.virga.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A comma-separated list of server URLs ({@code --url}, {@code $VIRGA_URL}, {@code virga agent --server}): several
 * servers on one PostgreSQL store, tried in order until one takes the request.
 */
public final class ServerUrls {
    private ServerUrls() {
    }

    /**
     * @param field named in the error ({@code --url}, {@code --server}, ...)
     * @throws IllegalArgumentException naming {@code field} and the URL that is not {@code http(s)://HOST:PORT}
     */
    public static List<URI> parse(String field, String text) {
        var urls = new ArrayList<URI>();
        for (var part : (text == null ? "" : text).split(",")) {
            var s = part.strip();
            if (s.isEmpty()) {
                continue;
            }
            URI u;
            try {
                u = URI.create(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": '" + s + "' is not a URL");
            }
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                throw new IllegalArgumentException(field + ": '" + s + "' is not http://HOST:PORT");
            }
            urls.add(u);
        }
        if (urls.isEmpty()) {
            throw new IllegalArgumentException(field + ": no server URL given");
        }
        return List.copyOf(urls);
    }
}
