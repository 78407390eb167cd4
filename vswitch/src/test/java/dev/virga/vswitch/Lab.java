package dev.virga.vswitch;

import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A switch under test with fake QEMU NICs on real unix sockets in a temporary directory. */
final class Lab implements AutoCloseable {
    final Path dir;
    VirtualSwitch vswitch;
    private final List<FakeQemu> nics = new ArrayList<>();

    Lab(Path dir) {
        this(dir, options());
    }

    Lab(Path dir, SwitchOptions options) {
        this.dir = dir;
        this.vswitch = VirtualSwitch.start(options);
    }

    static SwitchOptions options() {
        return SwitchOptions.defaults().withOverlayAddress(new InetSocketAddress("127.0.0.1", 0)).withoutHealthProbes();
    }

    FakeQemu nic(String id, int vni, String mac, String ip) {
        return nic(id, vni, mac, ip, Ipv4Address.ANY, true);
    }

    FakeQemu nic(String id, int vni, String mac, String ip, Ipv4Address gateway, boolean reading) {
        FakeQemu qemu = new FakeQemu(dir.resolve(id + ".sock"), reading);
        nics.add(qemu);
        vswitch.attachPort(new PortSpec(id, qemu.socket, vni, MacAddress.parse(mac), Ipv4Address.parse(ip), 24, gateway));
        return qemu.awaitConnection();
    }

    PortStats port(String id) {
        return vswitch.stats().port(id).orElseThrow();
    }

    /** Waits until the port's counters satisfy the condition (the switch has processed what was sent). */
    void awaitPort(String id, Predicate<PortStats> condition) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> condition.test(port(id)));
    }

    @Override
    public void close() {
        vswitch.close();
        nics.forEach(FakeQemu::close);
    }
}
