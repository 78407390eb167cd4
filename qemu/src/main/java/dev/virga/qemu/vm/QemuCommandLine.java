package dev.virga.qemu.vm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the {@code qemu-system-x86_64} command line of a VM, always in the same order so that it
 * can be golden-tested and compared between runs.
 *
 * <p>Choices, and why:
 * <ul>
 *   <li>{@code -S -no-shutdown}: the agent attaches over QMP before the guest runs ({@code cont}), and a
 *       guest power-off leaves QEMU alive in state {@code shutdown} so the agent sees why it stopped.</li>
 *   <li>{@code -cpu qemu64} under both accelerators: on these hosts {@code host}/{@code max} abort under
 *       KVM ({@code failed to set MSR 0x10a}); qemu64 is QEMU's own default, named so it is explicit and
 *       stays the same for migration.</li>
 *   <li>{@code -nodefaults -no-user-config}: only the devices listed here, nothing from host config files.</li>
 *   <li>{@code -blockdev} with our node names ({@code vda}, {@code vda-file}) so block jobs, snapshots and
 *       stats can name the disk; {@code -drive} would give unstable automatic names.</li>
 *   <li>Every socket is a server with {@code wait=off}, so QEMU never blocks waiting for a client, and
 *       the serial console is also logged to a file so output is kept while nobody is attached.</li>
 *   <li>No {@code -daemonize}: the agent starts QEMU in its own session, so it outlives the agent.</li>
 * </ul>
 */
public final class QemuCommandLine {
    /** sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./=:,@%+-]+");
    private static final String QEMU_DEFAULT_MAC = "52:54:00:12:34:56";
    /**
     * Every PCI device has its slot fixed, the ones QEMU would have picked in this order without tenant NICs, and
     * tenant NICs from 0x10 up: a NIC plugged in later lands where a NIC on the command line would be, so the
     * hardware of a VM does not depend on how it got its NICs (a saved state loads only into the same slots).
     */
    private static final String DISK_SLOT = "0x2";
    private static final String PROVIDER_NIC_SLOT = "0x3";
    private static final String SERIAL_SLOT = "0x4";
    private static final String RNG_SLOT = "0x5";
    private static final String BALLOON_SLOT = "0x6";
    private static final int FIRST_TENANT_SLOT = 0x10;
    /** Slots 0x10..0x1f. */
    public static final int MAX_TENANT_NICS = 16;

    private static String tenantSlot(int position) {
        return "0x" + Integer.toHexString(FIRST_TENANT_SLOT + position);
    }

    private QemuCommandLine() {
    }

    public static List<String> build(Path qemuBinary, VmConfig config) {
        VmPaths paths = config.paths();
        checkSocketPath(paths.qmpSocket());
        checkSocketPath(paths.guestAgentSocket());
        checkSocketPath(paths.consoleSocket());
        List<String> args = new ArrayList<>();
        args.add(qemuBinary.toString());
        machine(args, config);
        control(args, paths);
        disk(args, config.disk());
        network(args, config.macAddress(), config.publish());
        tenantNics(args, config.tenantNics());
        guestAgent(args, paths.guestAgentSocket());
        add(args, "-device", "virtio-rng-pci,addr=" + RNG_SLOT);
        add(args, "-device", "virtio-balloon-pci,id=balloon0,deflate-on-oom=on,addr=" + BALLOON_SLOT);
        // a new generation id at every start: a guest resumed from a saved state (a warm launch, a stateful
        // snapshot) learns that it is a new copy, and a kernel with the vmgenid driver reseeds its random generator
        add(args, "-device", "vmgenid,guid=auto,id=vmgenid0");
        boot(args, config);
        return List.copyOf(args);
    }

    private static final String RAM_ID = "pc.ram";
    private static final String NEUTRAL_UUID = "00000000-0000-0000-0000-000000000000";

    /**
     * The command line of {@code config} with every value that is the VM's own rather than its devices' (name,
     * uuid, paths, MACs, kernel arguments, published ports, where its RAM lives) replaced by a fixed one or left
     * out: two configs with the same
     * signature have the same virtual hardware, so a machine state saved from one loads into the other.
     */
    public static String deviceSignature(VmConfig config) {
        var root = Path.of("/vm");
        var nics = new ArrayList<VmConfig.TenantNic>();
        for (int i = 0; i < config.tenantNics().size(); i++) {
            nics.add(new VmConfig.TenantNic(config.tenantNics().get(i).id(), String.format("02:00:00:00:00:%02x", i),
                    root.resolve("n" + i + ".sock")));
        }
        var neutral = new VmConfig("vm", NEUTRAL_UUID, config.cpus(), config.memoryBytes(), config.accelerator(),
                config.machine(), root.resolve("disk.qcow2"), config.kernel().map(k -> root.resolve("kernel")),
                config.initrd().map(i -> root.resolve("initrd")), config.kernel().isPresent() ? "cmdline" : "",
                VmPaths.in(root), "52:54:00:00:00:01").withTenantNics(nics);
        var args = build(Path.of("qemu-system-x86_64"), neutral);
        return String.join(" ", args.subList(1, args.size()));
    }

    private static void machine(List<String> args, VmConfig config) {
        add(args, "-name", config.name() + ",debug-threads=on");
        add(args, "-uuid", config.uuid());
        add(args, "-machine", config.machine());
        add(args, "-accel", config.accelerator().qemuArg());
        add(args, "-cpu", "qemu64");
        add(args, "-smp", String.valueOf(config.cpus()));
        add(args, "-m", String.valueOf(config.memoryMiB()));
        // the backend takes the name QEMU gives the RAM of -m alone ("pc.ram"): the migration stream names RAM by
        // it, so a VM whose RAM is a file migrates to and from one whose RAM is not
        config.memoryFile().ifPresent(file -> {
            add(args, "-object", "memory-backend-file,id=" + RAM_ID + ",size=" + config.memoryMiB() + "M,mem-path="
                    + opt(file.path()) + ",share=" + (file.shared() ? "on" : "off"));
            add(args, "-machine", "memory-backend=" + RAM_ID);
        });
        args.add("-nodefaults");
        args.add("-no-user-config");
        add(args, "-display", "none");
        add(args, "-vga", "none");
        args.add("-S");
        args.add("-no-shutdown");
    }

    private static void control(List<String> args, VmPaths paths) {
        add(args, "-pidfile", paths.pidFile().toString());
        add(args, "-qmp", "unix:" + opt(paths.qmpSocket()) + ",server=on,wait=off");
        add(args, "-chardev", "socket,id=ser0,path=" + opt(paths.consoleSocket()) + ",server=on,wait=off"
                + ",logfile=" + opt(paths.serialLog()) + ",logappend=on");
        add(args, "-serial", "chardev:ser0");
    }

    private static void disk(List<String> args, Path disk) {
        add(args, "-blockdev", "driver=file,filename=" + opt(disk) + ",node-name=vda-file,cache.direct=off");
        add(args, "-blockdev", "driver=qcow2,file=vda-file,node-name=vda");
        add(args, "-device", "virtio-blk-pci,drive=vda,id=vda-dev,bootindex=1,addr=" + DISK_SLOT);
    }

    /** What QEMU's user-mode network (the provider NIC) leases the guest: its address, the gateway, the resolver. */
    public static final String PROVIDER_ADDRESS = "10.0.2.15";
    public static final int PROVIDER_PREFIX = 24;
    public static final String PROVIDER_GATEWAY = "10.0.2.2";
    public static final String PROVIDER_DNS = "10.0.2.3";

    /**
     * The provider NIC: QEMU's user-mode NAT (outbound access; the guest is 10.0.2.15, the host 10.0.2.2), with a
     * {@code hostfwd} per published port.
     */
    private static void network(List<String> args, String mac, List<dev.virga.api.PublishedPort> publish) {
        var netdev = new StringBuilder("user,id=net0");
        for (var p : publish) {
            netdev.append(",hostfwd=").append(p.hostfwd());
        }
        add(args, "-netdev", netdev.toString());
        add(args, "-device", "virtio-net-pci,netdev=net0,mac=" + mac + ",id=net0-dev,addr=" + PROVIDER_NIC_SLOT);
    }

    /**
     * Tenant NICs after the provider NIC (so the guest names them eth1, eth2, ...): QEMU listens on a unix socket
     * and the host's switch dials it, which survives a switch restart (QEMU as client would never reconnect).
     */
    private static void tenantNics(List<String> args, List<VmConfig.TenantNic> nics) {
        for (int i = 0; i < nics.size(); i++) {
            var nic = nics.get(i);
            checkSocketPath(nic.socket());
            add(args, "-netdev", "stream,id=" + nic.id() + ",server=on,addr.type=unix,addr.path=" + opt(nic.socket()));
            add(args, "-device", "virtio-net-pci,netdev=" + nic.id() + ",mac=" + nic.mac() + ",id=" + nic.id()
                    + "-dev,addr=" + tenantSlot(i));
        }
    }

    /**
     * The tenant NIC at {@code position} as QMP {@code netdev_add} and {@code device_add} arguments: the very
     * backend and device the command line would have given it, in the same PCI slot, so a VM with NICs plugged in
     * while it runs has the same hardware as one started with them (and migrates and restores like it).
     */
    public static HotPlug hotPlug(VmConfig.TenantNic nic, int position) {
        checkSocketPath(nic.socket());
        var netdev = new java.util.LinkedHashMap<String, Object>();
        netdev.put("type", "stream");
        netdev.put("id", nic.id());
        netdev.put("server", true);
        netdev.put("addr", java.util.Map.of("type", "unix", "path", nic.socket().toString()));
        var device = new java.util.LinkedHashMap<String, Object>();
        device.put("driver", "virtio-net-pci");
        device.put("netdev", nic.id());
        device.put("mac", nic.mac());
        device.put("id", nic.id() + "-dev");
        device.put("addr", tenantSlot(position));
        return new HotPlug(java.util.Map.copyOf(netdev), java.util.Map.copyOf(device));
    }

    /** QMP arguments that plug one NIC in. */
    public record HotPlug(java.util.Map<String, Object> netdev, java.util.Map<String, Object> device) {
    }

    private static void guestAgent(List<String> args, Path socket) {
        add(args, "-device", "virtio-serial-pci,id=vser0,addr=" + SERIAL_SLOT);
        add(args, "-chardev", "socket,id=ga0,path=" + opt(socket) + ",server=on,wait=off");
        // id= on the port makes QEMU emit VSERPORT_CHANGE when the guest opens or closes it
        add(args, "-device", "virtserialport,chardev=ga0,name=org.qemu.guest_agent.0,id=gaport");
    }

    private static void boot(List<String> args, VmConfig config) {
        // -kernel, -initrd and -append take their value verbatim: no comma escaping there.
        config.kernel().ifPresent(kernel -> add(args, "-kernel", kernel.toString()));
        config.initrd().ifPresent(initrd -> add(args, "-initrd", initrd.toString()));
        if (config.kernel().isPresent() && !config.kernelCmdline().isEmpty()) {
            add(args, "-append", config.kernelCmdline());
        }
    }

    /**
     * A locally administered unicast MAC in QEMU's {@code 52:54:00} range, derived from {@code seed}
     * (e.g. the VM's uuid) so that a VM keeps its MAC, and so its DHCP lease, across restarts.
     */
    public static String macFor(String seed) {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        String mac = "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(hash, 0, 3);
        // QEMU gives 52:54:00:12:34:56 to every NIC without a MAC; never collide with those.
        return mac.equals(QEMU_DEFAULT_MAC) ? "52:54:00:" + HexFormat.ofDelimiter(":").formatHex(hash, 3, 6) : mac;
    }

    /** The command as one line that a POSIX shell runs unchanged (for logs and benchmark notes). */
    public static String shellQuoted(List<String> args) {
        return args.stream().map(QemuCommandLine::shellQuote).collect(Collectors.joining(" "));
    }

    static String shellQuote(String arg) {
        if (SHELL_SAFE.matcher(arg).matches()) {
            return arg;
        }
        return "'" + arg.replace("'", "'\\''") + "'";
    }

    /** A path as a value inside a QEMU option string, where ',' separates options and ',,' is a literal comma. */
    private static String opt(Path path) {
        return path.toString().replace(",", ",,");
    }

    private static void checkSocketPath(Path socket) {
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_SOCKET_PATH) {
            throw new IllegalArgumentException("socket path " + socket + " is " + length
                    + " bytes long; unix sockets allow at most " + MAX_SOCKET_PATH);
        }
    }

    private static void add(List<String> args, String option, String value) {
        args.add(option);
        args.add(value);
    }
}
