package dev.virga.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PublishedPortTest {
    @Test
    void readsTheDockerLikeForms() {
        assertThat(PublishedPort.parse("8080:80")).isEqualTo(new PublishedPort("tcp", "0.0.0.0", 8080, 80));
        assertThat(PublishedPort.parse("127.0.0.1:2222:22")).isEqualTo(new PublishedPort("tcp", "127.0.0.1", 2222, 22));
        assertThat(PublishedPort.parse("5353:53/udp")).isEqualTo(new PublishedPort("udp", "0.0.0.0", 5353, 53));
        assertThat(PublishedPort.parse("127.0.0.1:2222:22").hostfwd()).isEqualTo("tcp:127.0.0.1:2222-:22");
        assertThat(PublishedPort.parse("127.0.0.1:2222:22")).hasToString("127.0.0.1:2222->22/tcp");
    }

    @Test
    void badFormsSayWhatIsWrong() {
        assertThatThrownBy(() -> PublishedPort.parse("80")).hasMessageContaining("is not [ADDRESS:]HOSTPORT:GUESTPORT");
        assertThatThrownBy(() -> PublishedPort.parse("70000:80")).hasMessageContaining("host port 70000 is not in 1..65535");
        assertThatThrownBy(() -> PublishedPort.parse("8080:0")).hasMessageContaining("guest port 0");
        assertThatThrownBy(() -> PublishedPort.parse("8080:http")).hasMessageContaining("guest port 'http' is not a number");
        assertThatThrownBy(() -> PublishedPort.parse("8080:80/sctp")).hasMessageContaining("protocol 'sctp'");
        assertThatThrownBy(() -> PublishedPort.parse("example.org:8080:80")).hasMessageContaining("not an IPv4 address");
        assertThatThrownBy(() -> PublishedPort.parse("1.2.3.256:8080:80")).hasMessageContaining("not an IPv4 address");
    }

    @Test
    void twoForwardsClashOnTheSamePortWhenTheirAddressesOverlap() {
        var any = PublishedPort.parse("8080:80");
        var local = PublishedPort.parse("127.0.0.1:8080:81");
        assertThat(any.clashesWith(local)).isTrue();
        assertThat(local.clashesWith(PublishedPort.parse("127.0.0.2:8080:80"))).isFalse();
        assertThat(any.clashesWith(PublishedPort.parse("8080:80/udp"))).isFalse();
        assertThat(any.clashesWith(PublishedPort.parse("8081:80"))).isFalse();
    }
}
