package dev.virga.qemu.qmp;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into top-level JSON values, whatever the read boundaries are.
 *
 * <p>QEMU writes one object per line, but a read can end anywhere (large replies such as
 * {@code query-qmp-schema} span many reads, and an event plus a reply often share one). Jackson's
 * non-blocking parser keeps the partial-token state across reads, so we never have to guess where
 * an object ends; whitespace between values, including the CR LF QEMU sends, is ignored.
 */
final class JsonFrames {
    private final ObjectMapper mapper;
    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private TokenBuffer current;
    private int depth;

    JsonFrames(ObjectMapper mapper) {
        this.mapper = mapper;
        try {
            this.parser = mapper.getFactory().createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new IllegalStateException("Jackson cannot make a non-blocking parser", e);
        }
        this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    /**
     * Consumes {@code len} bytes of {@code buf} completely, handing each finished value to {@code sink}.
     * The caller may reuse {@code buf} once this returns.
     *
     * @throws IOException when the bytes are not JSON
     */
    void feed(byte[] buf, int len, Consumer<JsonNode> sink) throws IOException {
        feeder.feedInput(buf, 0, len);
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.NOT_AVAILABLE && token != null) {
            if (current == null) {
                current = new TokenBuffer(parser);
            }
            current.copyCurrentEvent(parser);
            if (token.isStructStart()) {
                depth++;
            } else if (token.isStructEnd()) {
                depth--;
            }
            if (depth == 0) {
                JsonNode value;
                try (JsonParser replay = current.asParser(mapper)) {
                    value = mapper.readTree(replay);
                }
                current = null;
                sink.accept(value);
            }
        }
    }
}
