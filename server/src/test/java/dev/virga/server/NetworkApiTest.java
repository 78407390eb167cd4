package dev.virga.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.virga.api.LaunchRequest;
import dev.virga.api.Network;
import dev.virga.api.NetworkRequest;
import dev.virga.api.Nic;
import dev.virga.api.OperationStatus;
import dev.virga.api.agent.NicSpec;
import dev.virga.client.ApiException;
import dev.virga.client.VirgaClient;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tenant networks and the server's IPAM through the real API and store (SQLite and PostgreSQL runs). */
@Timeout(60)
class NetworkApiTest {
    private ControlPlane plane;
    private VirgaClient client;

    @BeforeEach
    void start() throws Exception {
        plane = ControlPlane.start();
        client = plane.client();
    }

    @AfterEach
    void stop() {
        plane.close();
    }

    private static LaunchRequest launch(String name, String... networks) {
        return new LaunchRequest(name, "tiny", 1, "128M", null, "", false, List.of(), "", false, List.of(networks));
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(Runnable call, int code, String field) {
        return assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            if (field != null) {
                assertThat(e.details()).containsEntry("field", field);
                assertThat(e.getMessage()).startsWith(field + ": ");
            }
        });
    }

    @Test
    void networksAreCreatedListedShownAndDeletedEachWithItsOwnVni() {
        var blue = client.createNetwork(new NetworkRequest("blue", "10.20.0.0/24", "10.20.0.1", ""));
        var red = client.createNetwork(new NetworkRequest("red", "10.20.0.0/24", "", "other"));
        assertThat(blue.project()).isEqualTo("default");
        assertThat(blue.gateway()).isEqualTo("10.20.0.1");
        assertThat(red.gateway()).isEmpty();
        assertThat(red.project()).isEqualTo("other");
        assertThat(blue.vni()).isNotEqualTo(red.vni()).isBetween(1, (1 << 24) - 1);
        assertThat(client.networks()).extracting(Network::name).containsExactly("blue", "red");
        assertThat(client.network("red").subnet()).isEqualTo("10.20.0.0/24");
        client.deleteNetwork("red");
        assertThat(client.networks()).extracting(Network::name).containsExactly("blue");
        refused(() -> client.network("red"), 404, null);
        refused(() -> client.deleteNetwork("red"), 404, null);
    }

    @Test
    void badNetworksAreRefusedNamingTheFieldAndNothingIsStored() {
        client.createNetwork(new NetworkRequest("blue", "10.20.0.0/24", "", ""));
        refused(() -> client.createNetwork(new NetworkRequest("x", "10.20.0.0/33", "", "")), 400, "subnet")
                .hasMessageContaining("/33");
        refused(() -> client.createNetwork(new NetworkRequest("x", "10.20.300.0/24", "", "")), 400, "subnet")
                .hasMessageContaining("not an IPv4 address");
        refused(() -> client.createNetwork(new NetworkRequest("x", "nonsense", "", "")), 400, "subnet");
        refused(() -> client.createNetwork(new NetworkRequest("x", "10.30.0.5/24", "", "")), 400, "subnet")
                .hasMessageContaining("host bits set; the network is 10.30.0.0/24");
        refused(() -> client.createNetwork(new NetworkRequest("x", "10.30.0.0/24", "10.31.0.1", "")), 400, "gateway")
                .hasMessageContaining("not a host address of 10.30.0.0/24");
        refused(() -> client.createNetwork(new NetworkRequest("x", "10.30.0.0/24", "10.30.0.255", "")), 400,
                "gateway");
        refused(() -> client.createNetwork(new NetworkRequest("x", "10.20.0.128/25", "", "")), 400, "subnet")
                .hasMessageContaining("overlaps 10.20.0.0/24 of network 'blue' in project 'default'");
        refused(() -> client.createNetwork(new NetworkRequest("x", "10.0.0.0/8", "", "")), 400, "subnet")
                .hasMessageContaining("overlaps");
        refused(() -> client.createNetwork(new NetworkRequest("Bad Name", "10.30.0.0/24", "", "")), 400, "name");
        refused(() -> client.createNetwork(new NetworkRequest("blue", "10.30.0.0/24", "", "")), 409, null)
                .hasMessageContaining("already exists");
        assertThat(client.networks()).extracting(Network::name).containsExactly("blue");
        // the same subnet in another project is another segment
        client.createNetwork(new NetworkRequest("x", "10.20.0.0/24", "", "tenant-b"));
    }

    @Test
    void launchGivesEachNicAStableMacAndAFreeAddressAndTheHostGetsTheNicSpecs() {
        var net = client.createNetwork(new NetworkRequest("blue", "10.20.0.0/24", "10.20.0.1", ""));
        client.createNetwork(new NetworkRequest("green", "192.168.5.0/29", "", ""));
        assertThat(plane.ended(client.launch(launch("vm1", "blue", "green"))).status())
                .isEqualTo(OperationStatus.SUCCESS);
        assertThat(plane.ended(client.launch(launch("vm2", "blue:10.20.0.50"))).status())
                .isEqualTo(OperationStatus.SUCCESS);

        var vm1 = client.instance("vm1").nics();
        assertThat(vm1).extracting(Nic::index, Nic::network, Nic::ip)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, "blue", "10.20.0.2"),
                        org.assertj.core.groups.Tuple.tuple(1, "green", "192.168.5.1"));
        var vm2 = client.instance("vm2").nics();
        assertThat(vm2).extracting(Nic::ip).containsExactly("10.20.0.50");
        var macs = new java.util.HashSet<String>();
        for (var nic : List.of(vm1.get(0), vm1.get(1), vm2.get(0))) {
            assertThat(nic.mac()).matches("02(:[0-9a-f]{2}){5}");
            macs.add(nic.mac());
        }
        assertThat(macs).hasSize(3);
        assertThat(client.network("blue").nics()).extracting(Nic::instance).containsExactly("vm1", "vm2");

        var spec = plane.agent.created.stream().filter(s -> s.name().equals("vm1")).findFirst().orElseThrow();
        assertThat(spec.nics()).containsExactly(
                new NicSpec(0, "blue", net.vni(), vm1.get(0).mac(), "10.20.0.2", 24, "10.20.0.1"),
                new NicSpec(1, "green", client.network("green").vni(), vm1.get(1).mac(), "192.168.5.1", 29, ""));
        // stable: the same MAC every time it is read
        assertThat(client.instance("vm1").nics()).isEqualTo(vm1);
    }

    @Test
    void badNicRequestsAreRefusedAndLeaveNoInstanceAndNoAddress() {
        client.createNetwork(new NetworkRequest("blue", "10.20.0.0/24", "10.20.0.1", ""));
        plane.ended(client.launch(launch("vm1", "blue:10.20.0.7")));
        refused(() -> client.launch(launch("vm2", "blue:10.20.0.7")), 400, "networks")
                .hasMessageContaining("10.20.0.7 on blue is taken by vm1");
        refused(() -> client.launch(launch("vm2", "blue:10.30.0.7")), 400, "networks")
                .hasMessageContaining("not a host address of blue (10.20.0.0/24)");
        refused(() -> client.launch(launch("vm2", "blue:10.20.0.255")), 400, "networks");
        refused(() -> client.launch(launch("vm2", "blue:10.20.0.1")), 400, "networks")
                .hasMessageContaining("gateway");
        refused(() -> client.launch(launch("vm2", "blue:ten")), 400, "networks");
        refused(() -> client.launch(launch("vm2", "nosuch")), 400, "networks")
                .hasMessageContaining("network 'nosuch' does not exist");
        // all or nothing: the first NIC would fit, the second does not
        refused(() -> client.launch(launch("vm2", "blue", "blue:10.20.0.7")), 400, "networks");
        assertThat(client.instances()).extracting(dev.virga.api.Instance::name).containsExactly("vm1");
        assertThat(client.network("blue").nics()).extracting(Nic::instance, Nic::ip)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("vm1", "10.20.0.7"));
        assertThat(plane.agent.created).extracting(dev.virga.api.agent.VmSpec::name).containsExactly("vm1");
    }

    @Test
    void aNetworkInUseCannotBeDeletedAndAddressesAreFreedWithTheirInstance() {
        client.createNetwork(new NetworkRequest("blue", "10.20.0.0/29", "", ""));
        plane.ended(client.launch(launch("vm1", "blue")));
        plane.ended(client.launch(launch("vm2", "blue")));
        refused(() -> client.deleteNetwork("blue"), 409, null)
                .hasMessageContaining("in use by vm1, vm2")
                .satisfies(e -> assertThat(((ApiException) e).details()).containsEntry("instances",
                        List.of("vm1", "vm2")));
        assertThat(client.network("blue").nics()).hasSize(2);

        assertThat(plane.ended(client.delete("vm1", true)).status()).isEqualTo(OperationStatus.SUCCESS);
        assertThat(client.network("blue").nics()).extracting(Nic::instance).containsExactly("vm2");
        plane.ended(client.launch(launch("vm3", "blue")));
        assertThat(client.instance("vm3").nics()).extracting(Nic::ip).containsExactly("10.20.0.1");

        plane.ended(client.delete("vm2", true));
        plane.ended(client.delete("vm3", true));
        client.deleteNetwork("blue");
        assertThat(client.networks()).isEmpty();
    }

    @Test
    void concurrentLaunchesNeverShareAnAddressAndAFullNetworkSaysSo() throws Exception {
        client.createNetwork(new NetworkRequest("small", "10.9.0.0/29", "10.9.0.1", ""));
        // 6 host addresses, one the gateway: 5 NICs fit
        try (var pool = Executors.newFixedThreadPool(5)) {
            var calls = new java.util.ArrayList<Callable<Object>>();
            for (int i = 0; i < 5; i++) {
                var name = "vm" + i;
                calls.add(() -> plane.ended(client.launch(launch(name, "small"))));
            }
            for (var f : pool.invokeAll(calls)) {
                f.get();
            }
        }
        var ips = client.network("small").nics().stream().map(Nic::ip).toList();
        assertThat(ips).hasSize(5).doesNotHaveDuplicates().doesNotContain("10.9.0.1");
        refused(() -> client.launch(launch("vm9", "small")), 400, "networks").hasMessageContaining("no free address");
    }

    @Test
    void loadBalancersAreValidatedKeepTheirVipOutOfThePoolAndHoldTheirNetwork() {
        client.createNetwork(new NetworkRequest("blue", "10.20.0.0/24", "10.20.0.254", ""));
        client.createNetwork(new NetworkRequest("green", "10.40.0.0/24", "", ""));
        plane.ended(client.launch(launch("m1", "blue")));
        plane.ended(client.launch(launch("m2", "blue")));
        plane.ended(client.launch(launch("other", "green")));
        var ok = new dev.virga.api.LoadBalancerRequest("web", "blue", "10.20.0.100", 80, null, List.of("m1", "m2"),
                null);
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web", "blue", "10.20.0.100",
                80, null, List.of("m1", "other"), null)), 400, "members")
                .hasMessageContaining("'other' has no NIC on network blue");
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web", "blue", "10.20.0.1",
                80, null, List.of("m1"), null)), 400, "vip").hasMessageContaining("taken by m1");
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web", "blue", "10.21.0.1",
                80, null, List.of("m1"), null)), 400, "vip");
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web", "nosuch", "10.20.0.100",
                80, null, List.of("m1"), null)), 400, "network");
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web", "blue", "10.20.0.100",
                0, null, List.of("m1"), null)), 400, "port");
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web", "blue", "10.20.0.100",
                80, null, List.of("m1"), "random")), 400, "policy");
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web", "blue", "10.20.0.100",
                80, null, List.of(), null)), 400, "members");
        assertThat(client.loadBalancers()).isEmpty();

        var lb = client.createLoadBalancer(ok);
        assertThat(lb.policy()).isEqualTo("shortest-queue");
        assertThat(lb.protocol()).isEqualTo("tcp");
        assertThat(lb.members()).extracting(dev.virga.api.LoadBalancer.Member::instance).containsExactly("m1", "m2");
        refused(() -> client.createLoadBalancer(ok), 409, null);
        refused(() -> client.createLoadBalancer(new dev.virga.api.LoadBalancerRequest("web2", "blue", "10.20.0.100",
                80, null, List.of("m1"), null)), 400, "vip").hasMessageContaining("VIP of web");
        // the VIP is not handed to a NIC, asked for or not
        refused(() -> client.launch(launch("vm3", "blue:10.20.0.100")), 400, "networks")
                .hasMessageContaining("VIP");
        refused(() -> client.deleteNetwork("blue"), 409, null);
        client.deleteLoadBalancer("web");
        refused(() -> client.loadBalancer("web"), 404, null);
    }
}
