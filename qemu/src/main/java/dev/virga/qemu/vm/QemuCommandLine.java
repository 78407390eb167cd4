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
        add(args, "-device", "virtio-rng-pci");
        add(args, "-device", "virtio-balloon-pci,id=balloon0,deflate-on-oom=on");
        boot(args, config);
        return List.copyOf(args);
    }

    private static void machine(List<String> args, VmConfig config) {
        add(args, "-name", config.name() + ",debug-threads=on");
        add(args, "-uuid", config.uuid());
        add(args, "-machine", config.machine());
        add(args, "-accel", config.accelerator().qemuArg());
        add(args, "-cpu", "qemu64");
        add(args, "-smp", String.valueOf(config.cpus()));
        add(args, "-m", String.valueOf(config.memoryMiB()));
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
        add(args, "-device", "virtio-blk-pci,drive=vda,id=vda-dev,bootindex=1");
    }

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
        add(args, "-device", "virtio-net-pci,netdev=net0,mac=" + mac + ",id=net0-dev");
    }

    /**
     * Tenant NICs after the provider NIC (so the guest names them eth1, eth2, ...): QEMU listens on a unix socket
     * and the host's switch dials it, which survives a switch restart (QEMU as client would never reconnect).
     */
    private static void tenantNics(List<String> args, List<VmConfig.TenantNic> nics) {
        for (var nic : nics) {
            checkSocketPath(nic.socket());
            add(args, "-netdev", "stream,id=" + nic.id() + ",server=on,addr.type=unix,addr.path=" + opt(nic.socket()));
            add(args, "-device", "virtio-net-pci,netdev=" + nic.id() + ",mac=" + nic.mac() + ",id=" + nic.id() + "-dev");
        }
    }

    private static void guestAgent(List<String> args, Path socket) {
        add(args, "-device", "virtio-serial-pci,id=vser0");
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
