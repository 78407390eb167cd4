package dev.virga.vswitch;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Remote switches' overlay endpoints, interned to small ints so tables hold no objects. */
final class RemoteHosts {
    private final List<InetSocketAddress> endpoints = new ArrayList<>();
    private final Map<InetSocketAddress, Integer> indexes = new HashMap<>();

    int intern(InetSocketAddress endpoint) {
        Integer index = indexes.get(endpoint);
        if (index != null) {
            return index;
        }
        if (endpoint.isUnresolved()) {
            throw new SwitchException("remote host " + endpoint + " is not resolved");
        }
        endpoints.add(endpoint);
        indexes.put(endpoint, endpoints.size() - 1);
        return endpoints.size() - 1;
    }

    InetSocketAddress endpoint(int index) {
        return endpoints.get(index);
    }
}
