package dev.virga.vswitch;

/** A VXLAN network identifier: 24 bits. */
final class Vni {
    static final int MAX = (1 << 24) - 1;

    private Vni() {
    }

    static int check(int vni) {
        if (vni < 0 || vni > MAX) {
            throw new IllegalArgumentException("VNI " + vni + " is not in 0.." + MAX);
        }
        return vni;
    }
}
