package dev.virga.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class HttpTest {
    @Test
    void pathsGoUnderTheBasePath() {
        var http = new Http(URI.create("http://127.0.0.1:9000/sim/h00042"), "");
        assertThat(http.uri("/agent/1.0/host")).hasToString("http://127.0.0.1:9000/sim/h00042/agent/1.0/host");
        assertThat(http.websocketUri("/agent/1.0/instances/vm1/console"))
                .hasToString("ws://127.0.0.1:9000/sim/h00042/agent/1.0/instances/vm1/console");
    }

    @Test
    void aBaseWithoutPathOrWithATrailingSlashGivesThePathAsIs() {
        assertThat(new Http(URI.create("http://127.0.0.1:8443"), "").uri("/1.0/instances?all=true"))
                .hasToString("http://127.0.0.1:8443/1.0/instances?all=true");
        assertThat(new Http(URI.create("http://127.0.0.1:8443/"), "").uri("/1.0"))
                .hasToString("http://127.0.0.1:8443/1.0");
    }
}
