package dev.virga.server.host;

import dev.virga.api.Host;
import dev.virga.server.event.EventBus;
import dev.virga.server.http.ApiError;
import dev.virga.server.scheduler.Scheduler.HostState;
import org.jdbi.v3.core.Jdbi;

import java.util.Map;

/** What operators do to hosts: standby and wake, maintenance, removal. */
public final class HostAdmin {
    private final Jdbi jdbi;
    private final Hosts hosts;
    private final EventBus events;

    public HostAdmin(Jdbi jdbi, Hosts hosts, EventBus events) {
        this.jdbi = jdbi;
        this.hosts = hosts;
        this.events = events;
    }

    public Host get(String name) {
        return hosts.find(name).orElseThrow(() -> new ApiError.NotFound("host", name));
    }

    /**
     * Puts an empty, online host in standby: the scheduler skips it until no active host fits a launch, then wakes
     * it. A host with instances is refused (they would have nowhere to start).
     */
    public Host standby(String name) {
        var host = online(name, "put in standby");
        if (!host.instances().isEmpty()) {
            throw new ApiError.Conflict("host " + name + " still has instances: " + String.join(", ", host.instances())
                    + "; only an empty host can go to standby", Map.of("instances", host.instances()));
        }
        hosts.client(name).standby(true);
        hosts.mode(name, HostState.STANDBY);
        events.publish("host-standby", name, "in standby by request");
        return get(name);
    }

    public Host wake(String name) {
        var host = online(name, "woken");
        if (!HostState.STANDBY.equals(host.mode())) {
            throw new ApiError.Conflict("host " + name + " is not in standby (it is " + host.mode() + ")");
        }
        hosts.wake(name);
        events.publish("host-woken", name, "woken by request");
        return get(name);
    }

    /** Maintenance: the host keeps its instances but takes no new ones. */
    public Host maintenance(String name) {
        var host = get(name);
        if (HostState.STANDBY.equals(host.mode())) {
            throw new ApiError.Conflict("host " + name + " is in standby; wake it first");
        }
        hosts.mode(name, HostState.MAINTENANCE);
        events.publish("host-maintenance", name, "in maintenance: takes no new instances");
        return get(name);
    }

    /** Back from maintenance: the host takes new instances again. */
    public Host activate(String name) {
        var host = get(name);
        if (HostState.STANDBY.equals(host.mode())) {
            throw new ApiError.Conflict("host " + name + " is in standby; wake it instead");
        }
        hosts.mode(name, HostState.ACTIVE);
        events.publish("host-active", name, "active: takes new instances");
        return get(name);
    }

    /**
     * Forgets a host. Refused while instances are placed on it; with {@code force}, an offline host is removed
     * together with the records of its instances (a dead machine's VMs are gone with it).
     */
    public void remove(String name, boolean force) {
        var host = get(name);
        if (!host.instances().isEmpty()) {
            if (!force) {
                throw new ApiError.Conflict("host " + name + " still has instances: " + String.join(", ",
                        host.instances()) + "; delete or move them first (or --force for a host that is gone)",
                        Map.of("instances", host.instances()));
            }
            if (Hosts.ONLINE.equals(host.state())) {
                throw new ApiError.Conflict("host " + name + " is online with instances: " + String.join(", ",
                        host.instances()) + "; --force only removes a host that is offline",
                        Map.of("instances", host.instances()));
            }
            for (var instance : host.instances()) {
                jdbi.useHandle(h -> h.createUpdate("DELETE FROM instances WHERE name = :n AND host = :h")
                        .bind("n", instance).bind("h", name).execute());
                events.publish("instance-deleted", instance, "forgotten with host " + name + " (removed while offline)");
            }
        }
        hosts.remove(name);
        events.publish("host-removed", name, "removed" + (force ? " (forced)" : ""));
    }

    private Host online(String name, String what) {
        var host = get(name);
        if (!Hosts.ONLINE.equals(host.state())) {
            throw new ApiError.Conflict("host " + name + " is offline; it cannot be " + what);
        }
        return host;
    }
}
