package dev.virga.vswitch;

import java.net.InetSocketAddress;
import java.util.Set;

/**
 * One host's virtual switch, driven by the agent. Every method may be called from any thread: it
 * is carried out on the switch's loop thread and returns when done (or throws
 * {@link SwitchException} naming what was refused).
 *
 * <p>Nothing here is persistent: after {@link #close()} (or a crash) the agent starts a new switch
 * and replays networks, ports, remotes and load balancers from its own configuration; the new
 * switch dials the same QEMU sockets and guests keep their addresses, because DHCP answers come from
 * the port specs.
 */
public final class VirtualSwitch implements AutoCloseable {
    private final SwitchLoop loop;

    private VirtualSwitch(SwitchLoop loop) {
        this.loop = loop;
    }

    /** Binds the VXLAN socket and starts the loop thread. */
    public static VirtualSwitch start(SwitchOptions options) {
        SwitchLoop loop = new SwitchLoop(options);
        loop.start();
        return new VirtualSwitch(loop);
    }

    /** Where this switch receives VXLAN (what other hosts use as this host's endpoint). */
    public InetSocketAddress overlayAddress() {
        return loop.overlay.address;
    }

    public void createNetwork(int vni) {
        run(() -> loop.control.createNetwork(vni));
    }

    /** Refused while the network still has ports or load balancers. */
    public void removeNetwork(int vni) {
        run(() -> loop.control.removeNetwork(vni));
    }

    /** Attaches a VM NIC and starts dialing its QEMU socket (again and again until it answers). */
    public void attachPort(PortSpec spec) {
        run(() -> loop.control.attach(spec));
    }

    public void detachPort(String portId) {
        run(() -> loop.control.detach(portId));
    }

    /** Frames to {@code mac} in network {@code vni} go to the switch at {@code endpoint} over VXLAN. */
    public void setRemote(int vni, MacAddress mac, InetSocketAddress endpoint) {
        run(() -> loop.control.setRemote(vni, mac, endpoint));
    }

    public void removeRemote(int vni, MacAddress mac) {
        run(() -> loop.control.removeRemote(vni, mac));
    }

    /** The hosts that get a copy of this network's broadcast and unknown-unicast frames (replaces the list). */
    public void setFloodRemotes(int vni, Set<InetSocketAddress> hosts) {
        run(() -> loop.control.setFloodRemotes(vni, Set.copyOf(hosts)));
    }

    /** Creates the load balancer, or updates it (flows to members that stay keep their member). */
    public void putLoadBalancer(LoadBalancerSpec spec) {
        run(() -> loop.control.putLoadBalancer(spec));
    }

    public void removeLoadBalancer(String id) {
        run(() -> loop.control.removeLoadBalancer(id));
    }

    /** A member marked down gets no new flows; its existing flows stay until idle. Health is the caller's call. */
    public void setMemberUp(String loadBalancerId, String portId, boolean up) {
        run(() -> loop.control.setMemberUp(loadBalancerId, portId, up));
    }

    /** Adds a stage to every packet's pipeline at {@code point}, after stages already added there. */
    public void addStage(StagePoint point, Stage stage) {
        run(() -> loop.dataplane.pipeline.add(point, stage));
    }

    public void removeStage(Stage stage) {
        run(() -> loop.dataplane.pipeline.remove(stage));
    }

    public SwitchStats stats() {
        return loop.call(loop.control::stats);
    }

    /** Stops the loop and closes every connection; QEMU keeps its sockets for the next switch. */
    @Override
    public void close() {
        loop.stop();
    }

    /** The loop thread (for measuring it). */
    Thread loopThread() {
        return loop.thread();
    }

    private void run(Runnable action) {
        loop.call(() -> {
            action.run();
            return null;
        });
    }
}
