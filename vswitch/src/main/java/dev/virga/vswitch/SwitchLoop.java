package dev.virga.vswitch;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The switch's one thread: a Selector over every QEMU socket and the VXLAN socket. Each iteration
 * handles what is ready (reading whole batches of frames), runs requests posted by other threads,
 * dials what is due, then writes every output queue that got frames. Every 100 ms it refreshes the
 * vNICs' drain rates; every 100 ms it also sends its load balancer members' load to the other hosts;
 * every second it probes members' health and expires flows and MAC entries.
 */
final class SwitchLoop {
    private static final Logger log = LoggerFactory.getLogger(SwitchLoop.class);
    private static final long TICK_MILLIS = 100;
    private static final long SWEEP_MILLIS = 1000;

    final Now now = new Now();
    final PortIndex ports = new PortIndex();
    final Overlay overlay;
    final Dataplane dataplane;
    final Control control;
    private final Selector selector;
    private final PortLinks links;
    private final SelectionKey overlayKey;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Consumer<SelectionKey> onReady = this::onReady;
    private Port[] flushing = new Port[16];
    private final Thread thread;
    private volatile boolean running = true;
    private long nextTick;
    private long nextSweep;

    SwitchLoop(SwitchOptions options) {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new SwitchException("cannot open a selector: " + e.getMessage(), e);
        }
        overlay = new Overlay(options.overlayAddress());
        try {
            overlayKey = overlay.channel.register(selector, SelectionKey.OP_READ, overlay);
        } catch (IOException e) {
            throw new SwitchException("cannot watch the VXLAN socket: " + e.getMessage(), e);
        }
        RemoteHosts remotes = new RemoteHosts();
        SegmentTable segments = new SegmentTable();
        links = new PortLinks(selector, now, ports, options);
        dataplane = new Dataplane(options, now, ports, remotes, overlay, segments);
        links.use(dataplane);
        control = new Control(options, now, ports, segments, remotes, links, dataplane);
        nextTick = now.millis + TICK_MILLIS;
        nextSweep = now.millis + SWEEP_MILLIS;
        thread = new Thread(this::run, "vswitch-loop");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    private void run() {
        log.info("virtual switch running; VXLAN on {}", overlay.address);
        try {
            while (running) {
                long timeout = Math.min(links.millisToNextDial(), Math.max(0, nextTick - now.millis));
                if (timeout <= 0) {
                    selector.selectNow(onReady);
                } else {
                    selector.select(onReady, timeout);
                }
                now.tick();
                runTasks();
                links.dialDue();
                flush();
                if (now.millis >= nextTick) {
                    dataplane.updateDrainRates((now.millis - nextTick + TICK_MILLIS) / 1000.0);
                    control.reportLoad();
                    nextTick = now.millis + TICK_MILLIS;
                }
                if (now.millis >= nextSweep) {
                    control.sweep();
                    nextSweep = now.millis + SWEEP_MILLIS;
                }
            }
        } catch (IOException | RuntimeException e) {
            log.error("virtual switch loop failed; stopping", e);
        } finally {
            running = false;
            control.closeAll();
            runTasks(); // let waiting callers see the switch is closed
            try {
                overlay.close();
                selector.close();
            } catch (IOException e) {
                log.warn("closing the switch's sockets: {}", e.getMessage());
            }
            log.info("virtual switch stopped");
        }
    }

    private void onReady(SelectionKey key) {
        try {
            if (key == overlayKey) {
                dataplane.fromOverlay();
            } else {
                links.onReady((Port) key.attachment(), key);
            }
        } catch (IOException e) {
            log.warn("VXLAN socket: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("frame handling failed on {}", key.attachment(), e);
        }
    }

    private void flush() {
        if (flushing.length < dataplane.flushListCapacity()) {
            flushing = new Port[dataplane.flushListCapacity()];
        }
        int n = dataplane.takeFlushList(flushing);
        for (int i = 0; i < n; i++) {
            Port port = flushing[i];
            flushing[i] = null;
            if (!port.detached) {
                links.flush(port);
            }
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
        }
    }

    /** Runs the action on the loop thread and returns its result (or throws its exception). */
    <T> T call(Callable<T> action) {
        if (Thread.currentThread() == thread) {
            try {
                return action.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new SwitchException(e.getMessage(), e);
            }
        }
        if (!running) {
            throw new SwitchException("the switch is closed");
        }
        FutureTask<T> task = new FutureTask<>(action);
        tasks.add(task);
        selector.wakeup();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    return task.get(200, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (!thread.isAlive() && task.cancel(false)) {
                        throw new SwitchException("the switch is closed");
                    }
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new SwitchException(String.valueOf(e.getCause().getMessage()), e.getCause());
        } catch (TimeoutException e) {
            throw new SwitchException(running ? "the switch did not answer within 30 s" : "the switch is closed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SwitchException("interrupted while waiting for the switch");
        }
    }

    void stop() {
        running = false;
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
